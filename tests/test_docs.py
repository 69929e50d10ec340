"""The generated documentation is current: docs/gen.py, run in memory, changes nothing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from renkou.config import settings_info
from renkou.stats import catalogue

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("docs_gen", DOCS / "gen.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_generated_page_is_current(gen):
    stale = [p.name for p, text in gen.pages().items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    assert stale == [], f"run `PYTHONPATH=src python docs/gen.py`: stale {stale}"


def test_a_generated_part_replaces_only_what_is_between_its_markers(gen):
    text = "before\n<!-- BEGIN GENERATED: x -->\nold\n<!-- END GENERATED: x -->\nafter\n"
    assert gen.fill(text, "x", "new") == "before\n<!-- BEGIN GENERATED: x -->\nnew\n<!-- END GENERATED: x -->\nafter\n"
    with pytest.raises(ValueError, match="'y'"):
        gen.fill(text, "y", "new")


def test_the_pages_name_every_setting_indicator_and_command(gen):
    config = (DOCS / "configuration.md").read_text(encoding="utf-8")
    assert all(f"`{s.env}`" in config for s in settings_info())
    stats = (DOCS / "statistics.md").read_text(encoding="utf-8")
    codes = catalogue.load(None).indicators
    assert len(codes) >= 33 and all(f"| `{code}` |" in stats for code in codes)
    cli = (DOCS / "cli.md").read_text(encoding="utf-8")
    for path, _ in gen.commands(gen.typer.main.get_command(gen.app), ["renkou"]):
        assert f"### `{' '.join(path)}`" in cli
    assert "`--basis`" in cli and "`--db`" in cli
