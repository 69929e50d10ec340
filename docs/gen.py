"""Regenerate the parts of the documentation that are facts about the code, so they cannot drift.

Each generated part sits between marker comments in its page::

    <!-- BEGIN GENERATED: name -->
    ... written by this script ...
    <!-- END GENERATED: name -->

and everything outside the markers is kept as written by hand. The parts:

* ``settings`` in docs/configuration.md — the table of settings, from the field metadata of
  ``renkou.config.Settings``;
* ``indicators`` in docs/statistics.md — the whole indicator catalogue, from
  ``src/renkou/stats/data/indicators.json`` read through ``renkou.stats.catalogue``;
* ``cli`` in docs/cli.md — every command and option with its help, from the Typer application;

and the whole of docs/import-templates.md (docs/gen_import_templates.py). Run after changing any
of them (tests/test_docs.py fails until you do)::

    PYTHONPATH=src .venv/bin/python docs/gen.py

The output depends on nothing but the code: no terminal width, no colours, no environment
(the shipped catalogue only, never RENKOU_INDICATORS).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import typer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_import_templates  # noqa: E402  (next to this file)

from renkou.cli.app import app  # noqa: E402
from renkou.config import settings_info  # noqa: E402
from renkou.stats import catalogue  # noqa: E402


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).replace("|", "\\|").split())


# ----------------------------------------------------------------------------------- settings


def settings_table() -> str:
    lines = ["| 设置 | Setting | Environment variable | Flag | Default | Values |", "|---|---|---|---|---|---|"]
    for s in settings_info():
        flag = f"`{s.flag} …`" if s.flag else "—"
        lines.append(f"| {cell(s.zh)} | {cell(s.en)} | `{s.env}` | {flag} | {cell(s.default)} | {cell(s.allowed) or 'text'} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- indicators


def formula(ind: catalogue.Indicator) -> str:
    if not ind.denominator:
        text = ind.numerator
    else:
        text = f"{ind.numerator} / {ind.denominator}"
    if ind.factor != 1:
        text += f" × {ind.factor:g}"
    return f"`{text}`"


def indicator_table() -> str:
    cat = catalogue.load(None)
    lines = [
        f"{len(cat.indicators)} indicators. A formula names the measures of the counting engine and their filters;",
        "*stock* figures are counted at the end of the period's last day, the others over the period.",
        "",
        "| Code | 分组 | 指标 | Indicator | Formula | Unit | Decimals | Stock | Broken down by |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for ind in cat.indicators.values():
        group = cat.groups.get(ind.group, catalogue.OTHER).zh
        unit = ind.unit or ("per mille" if ind.factor == 1000 else "%" if ind.factor == 100 else "")
        lines.append(
            f"| `{ind.code}` | {cell(group)} | {cell(ind.zh)} | {cell(ind.en)} | {cell(formula(ind))} | {cell(unit)} | {ind.decimals} | "
            f"{'yes' if ind.stock else ''} | {cell(', '.join(ind.disaggregations))} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- cli


def commands(cmd, path: list[str]) -> list[tuple[list[str], object]]:
    out = [(path, cmd)]
    for name in sorted(getattr(cmd, "commands", {}) or {}):
        out += commands(cmd.commands[name], [*path, name])
    return out


def option_row(p) -> str:
    names = ", ".join(f"`{o}`" for o in [*p.opts, *getattr(p, "secondary_opts", [])])
    if getattr(p, "param_type_name", "") == "argument":
        names = f"`{p.name.upper()}`" + (" …" if p.nargs == -1 else "")
    default = p.default
    if callable(default) or default is None or default is False or default == () or default == []:
        default_text = ""
    else:
        default_text = f"`{default}`"
    required = "yes" if p.required else ""
    return f"| {names} | {required} | {default_text} | {cell(getattr(p, 'help', None) or '')} |"


def cli_reference() -> str:
    root = typer.main.get_command(app)
    parts = []
    for path, cmd in commands(root, ["renkou"]):
        if getattr(cmd, "hidden", False):
            continue
        title = " ".join(path)
        parts.append(f"### `{title}`\n")
        helptext = (cmd.help or "").strip()
        if helptext:
            parts.append("\n".join(line.strip() for line in helptext.splitlines()).strip() + "\n")
        params = [p for p in cmd.params if p.name != "help" and not getattr(p, "hidden", False)]
        if params:
            parts.append("| Option / argument | Required | Default | Help |\n|---|---|---|---|")
            parts.append("\n".join(option_row(p) for p in params) + "\n")
        subs = sorted(getattr(cmd, "commands", {}) or {})
        if subs:
            parts.append("Commands: " + ", ".join(f"`{title} {s}`" for s in subs) + "\n")
    return "\n".join(parts).rstrip()


CLI_PAGE = """# Command-line reference (命令行参考)

Every command of `renkou`, its options and their help, as `renkou COMMAND --help` prints them.
`--db URL` belongs to `renkou` itself and goes before the command (see configuration.md).

<!-- BEGIN GENERATED: cli -->
<!-- END GENERATED: cli -->
"""

# ------------------------------------------------------------------------------------ machinery

SECTIONS: dict[str, tuple[str, Callable[[], str]]] = {
    "settings": ("configuration.md", settings_table),
    "indicators": ("statistics.md", indicator_table),
    "cli": ("cli.md", cli_reference),
}


def fill(text: str, name: str, body: str) -> str:
    """``text`` with the part ``name`` replaced by ``body``; ValueError if its markers are missing."""
    pattern = re.compile(rf"(<!-- BEGIN GENERATED: {name} -->\n).*?(<!-- END GENERATED: {name} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"no markers for the generated part {name!r}")
    return pattern.sub(lambda m: m.group(1) + body.rstrip("\n") + "\n" + m.group(2), text, count=1)


def pages() -> dict[Path, str]:
    """Every generated page as it should read now (nothing written)."""
    out: dict[Path, str] = {}
    for name, (page, make) in SECTIONS.items():
        path = HERE / page
        current = out.get(path) or (path.read_text(encoding="utf-8") if path.exists() else CLI_PAGE)
        out[path] = fill(current, name, make())
    out[gen_import_templates.OUT] = gen_import_templates.page()
    return out


def main() -> None:
    for path, text in pages().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
