"""A snapshot of the analytical model on disk (Arrow IPC files), so that a new process starts from
it and reads only the registry's changes since (``Model.refresh``) instead of every row.

The snapshot names the database it came from (URL, first changeset's time) and the change it is up
to; a snapshot of another database, or one that is *ahead* of the database (restored from an older
backup), is ignored and rebuilt. It holds personal data in pseudonymous form (internal ids, dates,
unit ids: no names or ID numbers), so it lives with the database and is protected like it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import fields
from pathlib import Path

import polars as pl
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from renkou.stats.model import Derived, Model

FORMAT = 1


def snapshot_dir(url: str, setting: str | None = None) -> Path | None:
    """``setting`` (Settings.stats_snapshot; ``off`` disables), else next to a SQLite file, else the user cache."""
    env = setting
    if env:
        return None if env.lower() in ("off", "0", "no") else Path(env)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            return None
        return Path(u.database).with_name(Path(u.database).name + ".stats")
    digest = hashlib.sha256(u.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "renkou" / f"stats-{digest}"


def _identity(session: Session) -> str:
    first = session.execute(text("SELECT MIN(at) FROM changeset")).scalar()
    u = session.get_bind().url
    return f"{u.render_as_string(hide_password=True)}|{first}"


def save_snapshot(model: Model, where: Path, session: Session) -> None:
    where.mkdir(parents=True, exist_ok=True)
    tmp = where / "tmp"
    tmp.mkdir(exist_ok=True)
    model.persons.write_ipc(tmp / "persons.arrow")
    model.events.write_ipc(tmp / "events.arrow")
    for f in fields(Derived):
        getattr(model.derived, f.name).write_ipc(tmp / f"{f.name}.arrow")
    meta = {"format": FORMAT, "seq": model.seq, "threshold_months": model.threshold_months, "identity": _identity(session)}
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    for p in sorted(tmp.iterdir(), key=lambda p: p.name == "meta.json"):
        os.replace(p, where / p.name)  # meta.json last: a half-written snapshot is never taken as whole
    tmp.rmdir()


def load_snapshot(where: Path, session: Session, threshold_months: int) -> Model | None:
    """The model from the snapshot, refreshed to the database's last change; None when there is no
    usable snapshot."""
    try:
        meta = json.loads((where / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    current = int(session.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar_one())
    if (
        meta.get("format") != FORMAT
        or meta.get("threshold_months") != threshold_months
        or meta.get("identity") != _identity(session)
        or meta.get("seq", 0) > current
    ):
        return None
    try:
        frames = {f.name: pl.read_ipc(where / f"{f.name}.arrow") for f in fields(Derived)}
        model = Model(
            pl.read_ipc(where / "persons.arrow"), pl.read_ipc(where / "events.arrow"), Derived(**frames), int(meta["seq"]), threshold_months
        )
    except OSError:
        return None
    model.refresh(session)
    return model
