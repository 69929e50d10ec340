"""A command closes its database connections when it ends: many commands run in one process (the
tests, a script importing renkou.cli.app.main), and a connection left to the garbage collector is a
ResourceWarning — and, on a server, a PostgreSQL backend held open."""

import gc
import warnings

from helpers import run_cli


def test_a_command_leaves_no_connection_open(db, capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, _out, err = run_cli(capsys, "--db", str(db.url), "audit", "--since", "2026-01-01")
        gc.collect()  # a connection still open when its engine is collected warns here
    assert code == 0, err
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
