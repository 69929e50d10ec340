"""Scenario ``synth_to_sqlite``: a synthetic county of ~N persons with full history straight into a
fresh SQLite registry (``build.generate`` + ``store.to_database``), against a naive snapshot
generator whose files are imported with ``run_import``. See synth_generate.py, which does the work.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.scenarios import synth_generate

NAME = "synth_to_sqlite"
DESCRIPTION = "synthetic county of ~N persons with full history into a fresh SQLite file (build.generate + store.to_database) vs naive snapshot + run_import"


def run(size_label: str, size: int, repeats: int, args: argparse.Namespace) -> dict[str, Any]:
    return synth_generate.run_scenario(NAME, size_label, size, repeats, args)
