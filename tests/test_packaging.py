"""Every data file of the package ships in a wheel: each non-Python file under src/renkou matches a
package-data pattern of pyproject.toml (an editable install finds them anyway; an installed wheel would not)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_data_file_is_package_data() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-data"]["renkou"]
    src = ROOT / "src" / "renkou"
    files = [f.relative_to(src).as_posix() for f in src.rglob("*") if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".py"]
    assert files, "no data files found: the test would prove nothing"
    shipped = {f.relative_to(src).as_posix() for p in patterns for f in src.glob(p)}  # setuptools' glob semantics
    assert sorted(set(files) - shipped) == []
