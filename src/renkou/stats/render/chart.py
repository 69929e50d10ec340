"""The population pyramid as a PNG, drawn with matplotlib's Agg canvas directly (no pyplot, no global
rcParams changes: every Chinese text gets the CJK font through its own FontProperties)."""

from __future__ import annotations

import io
import os

from renkou.core import numbers
from renkou.stats.render import common as c
from renkou.stats.render.fonts import FontFace, find_cjk_font
from renkou.stats.table import Chart

MALE_COLOUR = "#4a7ebb"
FEMALE_COLOUR = "#d0605e"


def _font_properties(face: FontFace, size: float):
    from matplotlib import font_manager

    path = str(face.path)
    real = os.path.realpath(path)
    # Register the file with matplotlib's (process-wide, not saved) font list once, so that its family name
    # resolves too; the FontProperties below name the file and its face, so the choice never depends on it.
    if not any(os.path.realpath(f.fname) == real for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    fname = font_manager.FontPath(path, face.index) if hasattr(font_manager, "FontPath") else path
    return font_manager.FontProperties(fname=fname, size=size)


def pyramid_png(chart: Chart, lang: str = "zh", *, title: str | None = None) -> bytes:
    """Males to the left, females to the right, age groups from the youngest (bottom) up; Chinese
    labels drawn with the embedded-to-be CJK font. A chart with no people still renders (empty axes)."""
    lang = c.check_lang(lang)
    if chart.kind != "pyramid":
        raise ValueError(f"not a pyramid chart: {chart.kind!r}")
    n = len(chart.labels)
    if len(chart.male) != n or len(chart.female) != n:
        raise ValueError("pyramid: labels, male and female must have the same length")

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    face = find_cjk_font().regular
    fp = _font_properties(face, 10)
    fp_small = _font_properties(face, 8 if n > 24 else 9)
    fp_title = _font_properties(face, 14)
    L = c.LABELS[lang]

    fig = Figure(figsize=(8, min(12.0, max(4.5, 1.8 + 0.26 * n))), dpi=100, layout="constrained")
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ys = list(range(n))
    male = [int(v or 0) for v in chart.male]
    female = [int(v or 0) for v in chart.female]
    ax.barh(ys, [-v for v in male], height=0.85, color=MALE_COLOUR)
    ax.barh(ys, female, height=0.85, color=FEMALE_COLOUR)
    top = max([*male, *female, 0])
    lim = top * 1.15 if top > 0 else 1
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-0.6, max(n, 1) - 0.4 + (0.12 * n + 0.6))  # head room for the side labels
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, symmetric=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: numbers.count(abs(v))))
    ax.set_yticks(ys, list(chart.labels), fontproperties=fp_small)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_xlabel(L["persons"], fontproperties=fp)
    ax.set_ylabel(L["age_group"], fontproperties=fp)
    ax.set_title(title or L["pyramid_title"], fontproperties=fp_title)
    ax.text(
        0.02,
        0.98,
        f"{L['male']} {numbers.count(sum(male))}",
        transform=ax.transAxes,
        ha="left",
        va="top",
        color=MALE_COLOUR,
        fontproperties=fp,
    )
    ax.text(
        0.98,
        0.98,
        f"{L['female']} {numbers.count(sum(female))}",
        transform=ax.transAxes,
        ha="right",
        va="top",
        color=FEMALE_COLOUR,
        fontproperties=fp,
    )
    buf = io.BytesIO()
    canvas.print_png(buf, metadata={"Software": None})
    return buf.getvalue()
