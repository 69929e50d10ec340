"""Finding a CJK font file to embed in PDFs and draw charts with.

The PDF embeds (a subset of) the font, so a reader needs no Chinese font of their own. Fonts with
TrueType outlines come first: fpdf2 embeds them as CIDFontType2 with Identity-H encoding, which every
viewer and text extractor reads. Debian's fonts-wqy-microhei (installed by ``make browser``) is the
first choice. CFF-flavoured OpenType collections (fonts-noto-cjk) work too, but fpdf2 then needs an
embedded encoding CMap that some tools (pypdf, for one) cannot decode, so they come later.
``RENKOU_CJK_FONT`` names a font file (.ttf/.otf/.ttc/.otc) instead of all of these.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from renkou.config import Settings
from renkou.errors import UserError

ENV = "RENKOU_CJK_FONT"  # named in messages; read through Settings.cjk_font
DEBIAN_PACKAGE = "fonts-wqy-microhei"
SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")

# (regular, bold or None), best first.
KNOWN_FONTS: list[tuple[str, str | None]] = [
    # TrueType outlines
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", None),  # Debian fonts-wqy-microhei
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", None),  # Debian fonts-wqy-zenhei
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", None),  # Debian fonts-droid-fallback
    ("/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc", None),  # Arch
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", None),  # Fedora
    ("C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/msyhbd.ttc"),
    ("C:/Windows/Fonts/simhei.ttf", None),
    # CFF outlines (OpenType/CFF collections)
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    ),  # Debian fonts-noto-cjk
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"),  # Arch
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc"),  # Fedora
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"),
]


@dataclass(frozen=True)
class FontFace:
    path: Path
    index: int  # face number inside a collection (.ttc/.otc), else 0
    family: str


@dataclass(frozen=True)
class CjkFont:
    regular: FontFace
    bold: FontFace | None  # None: renderers embolden the regular face


def _missing_error() -> UserError:
    return UserError(
        f"未找到可嵌入的中文字体。请安装 Debian 软件包 {DEBIAN_PACKAGE}（apt-get install {DEBIAN_PACKAGE}），"
        f"或用环境变量 {ENV} 指定一个 TrueType/OpenType 字体文件（.ttf/.otf/.ttc）。",
        f"No CJK font to embed was found. Install the Debian package {DEBIAN_PACKAGE} (apt-get install {DEBIAN_PACKAGE}), "
        f"or point the environment variable {ENV} at a TrueType/OpenType font file (.ttf/.otf/.ttc).",
        code="cjk_font_missing",
    )


@functools.lru_cache(maxsize=32)
def _face(path: str) -> FontFace:
    """The simplified-Chinese face of a font file: in a collection, the face named "... SC" if any."""
    from fontTools.ttLib import TTCollection, TTFont

    def family(font) -> str:
        return str(font["name"].getDebugName(16) or font["name"].getDebugName(1) or Path(path).stem)

    try:
        if path.lower().endswith((".ttc", ".otc")):
            coll = TTCollection(path, lazy=True)
            try:
                names = [family(f) for f in coll.fonts]
            finally:
                coll.close()
            for pref in (lambda n: n.endswith(" SC") and "Mono" not in n, lambda n: "SC" in n or "GB" in n):
                for i, n in enumerate(names):
                    if pref(n):
                        return FontFace(Path(path), i, n)
            return FontFace(Path(path), 0, names[0] if names else Path(path).stem)
        with TTFont(path, lazy=True) as f:
            return FontFace(Path(path), 0, family(f))
    except Exception as exc:  # not a font fontTools can read
        raise UserError(f"无法读取字体文件 {path}：{exc}", f"Cannot read the font file {path}: {exc}", code="cjk_font_bad") from exc


def _fontconfig_candidates() -> list[str]:
    """CJK font files fontconfig knows of (last resort, when no known path exists)."""
    exe = shutil.which("fc-list")
    if not exe:
        return []
    try:
        out = subprocess.run(
            [exe, "-f", "%{file}\n", ":lang=zh-cn:outline=true"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = sorted({ln.strip() for ln in out.splitlines() if ln.strip().lower().endswith(SUFFIXES)})
    # Sans before serif, regular before bold.
    return sorted(files, key=lambda f: ("Serif" in f, "Bold" in f or "bold" in f.lower().rsplit("/", 1)[-1], f))


def _bold_sibling(path: str) -> str | None:
    name = os.path.basename(path)
    if "Regular" in name:
        bold = os.path.join(os.path.dirname(path), name.replace("Regular", "Bold"))
        if os.path.isfile(bold):
            return bold
    return None


@functools.lru_cache(maxsize=8)
def _find(env_value: str | None) -> CjkFont:
    if env_value:
        if not os.path.isfile(env_value):
            raise UserError(
                f"环境变量 {ENV} 指定的字体文件不存在：{env_value}。请改正路径，或删除该变量并安装 Debian 软件包 {DEBIAN_PACKAGE}。",
                f"The font file named by {ENV} does not exist: {env_value}. Fix the path, or unset it and install "
                f"the Debian package {DEBIAN_PACKAGE}.",
                code="cjk_font_missing",
            )
        if not env_value.lower().endswith(SUFFIXES):
            raise UserError(
                f"{ENV} 须指向 .ttf/.otf/.ttc/.otc 字体文件：{env_value}",
                f"{ENV} must name a .ttf/.otf/.ttc/.otc font file: {env_value}",
                code="cjk_font_bad",
            )
        bold = _bold_sibling(env_value)
        return CjkFont(_face(env_value), _face(bold) if bold else None)
    for regular, bold in KNOWN_FONTS:
        if os.path.isfile(regular):
            return CjkFont(_face(regular), _face(bold) if bold and os.path.isfile(bold) else None)
    for regular in _fontconfig_candidates():
        bold = _bold_sibling(regular)
        return CjkFont(_face(regular), _face(bold) if bold else None)
    raise _missing_error()


def find_cjk_font(path: str | None = None) -> CjkFont:
    """The CJK font to embed: the file ``path`` if given, else the one named by ``RENKOU_CJK_FONT``
    (Settings.cjk_font), else the first known system font (fonts-wqy-microhei first), else one
    fontconfig lists. Raises UserError naming the Debian package when there is none.

    The renderers call this without ``path``: the font is a setting of the whole process (like the
    installed fonts themselves), read through renkou.config.Settings rather than passed through
    every report's rendering."""
    return _find(path or Settings.from_env().cjk_font)
