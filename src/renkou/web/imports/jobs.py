"""The jobs of the import page (renkou.web.imports): each uploaded file waits in a folder of its own
under ``app.state.import_dir`` (the ``imports`` folder of the server's own data directory,
renkou.config.data_dir — never a shared temporary directory), named by an unguessable token, with a small JSON record (``job.json``) of whose it is, its
state and progress and — once checked — its problems. Records are replaced atomically, so a request
reads either the old record or the new one; folders nobody has touched for an hour are deleted.

The work itself (check, then commit) runs in a thread: the real importer, as the signed-in account's
officer (the importer checks its permission and applies its area rule, renkou.exchange.area), through
a ``_Door`` that gives it the web actor and — for the check — rolls everything back at the end.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from fastapi import Request

from renkou.auth.officer import Officer
from renkou.core.cells import xlsx_text
from renkou.errors import UserError, ValidationFailed
from renkou.exchange import importer, templates
from renkou.storage.db import Actor
from renkou.web.i18n import gettext
from renkou.web.imports.area import N_, Finding

log = logging.getLogger(__name__)
SUFFIXES = (".csv", ".xlsx", ".xlsm")
EXPIRE_SECONDS = 3600
SHOWN = 500  # problems shown on screen; the error report holds the rest
TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
RUNNING = ("checking", "committing")
_lock = threading.Lock()


def folder_of_jobs(request: Request) -> Path:
    base = Path(request.app.state.import_dir)
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    return base


def read(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "job.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def update(folder: Path, **changes) -> dict:
    """Change the job's record (atomically: a reader sees the old record or the new one)."""
    with _lock:
        meta = {**(read(folder) or {}), **changes, "touched": time.time()}
        tmp = folder / f"job.{threading.get_ident()}.tmp"
        tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, folder / "job.json")
    return meta


def purge(base: Path) -> None:
    """Delete the folders nobody has touched for an hour (a running job touches its own)."""
    now = time.time()
    for folder in base.iterdir():
        meta = read(folder) if folder.is_dir() else None
        touched = meta.get("touched", 0) if meta else folder.stat().st_mtime
        if now - touched > EXPIRE_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)


def find_job(request: Request, user, token: str) -> tuple[Path, dict] | None:
    """The folder and record of this account's job ``token``; None for any other token."""
    if not TOKEN.match(token):
        return None
    base = folder_of_jobs(request)
    purge(base)
    folder = base / token
    meta = read(folder)
    if meta is None or meta.get("account") != user.account.id or meta.get("username") != user.account.username:
        return None
    return folder, meta


def with_problems(base: Path, user) -> list[dict]:
    """This account's files waiting in ``base`` whose check found problems (or that could not be read),
    the newest first: token, file name, kind, when uploaded and how many problems. Only the job records
    are read (a few small files: folders expire after an hour); nothing is purged here."""
    if not base.is_dir():
        return []
    now, out = time.time(), []
    for folder in base.iterdir():
        meta = read(folder) if folder.is_dir() and TOKEN.match(folder.name) else None
        if meta is None or meta.get("account") != user.account.id or meta.get("username") != user.account.username:
            continue
        if now - meta.get("touched", 0) > EXPIRE_SECONDS:
            continue
        failed = meta.get("state") == "failed"
        if failed or (meta.get("state") == "checked" and meta.get("n_problems")):
            out.append(
                {
                    "token": folder.name,
                    "name": meta.get("name", ""),
                    "kind": meta.get("kind", ""),
                    "created": meta.get("created", 0),
                    "problems": int(meta.get("n_problems") or 0),
                    "failed": failed,
                }
            )
    return sorted(out, key=lambda j: -j["created"])


def safe_name(raw: str) -> str | None:
    """The uploaded file's own name, without a path or characters a file system refuses; None unless CSV or XLSX."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem, dot, ext = name.rpartition(".")
    if not dot or f".{ext.lower()}" not in SUFFIXES:
        return None
    stem = re.sub(r'[\x00-\x1f<>:"/\\|?*]+', "_", stem).strip(" .")[:100] or "upload"
    return f"{stem}.{ext.lower()}"


# ------------------------------------------------------------------------------------ the work


class _Door:
    """What run_import asks of a Database — ``write`` — under the web actor; with ``keep=False`` the
    transaction is rolled back at its end."""

    def __init__(self, db, actor: Actor, *, keep: bool) -> None:
        self.db, self.actor, self.keep = db, actor, keep

    @contextmanager
    def write(self, _actor: Actor, *, note: str = "", reason: str = ""):
        # the importer passes its own actor (channel import, origin the file): ours says where it came from too
        with self.db.write(self.actor, note=note, reason=reason) as s:
            yield s
            if not self.keep:
                s.rollback()  # validation only: nothing the importer wrote is kept


def _work(db, folder: Path, officer: Officer, *, commit: bool, max_rows: int) -> None:
    meta = read(folder) or {}
    kind, name = meta["kind"], meta["name"]
    path = folder / ("committing" if commit else "upload") / name
    last = [0.0]

    def progress(step: str):
        def report(done: int, total: int) -> None:
            if time.time() - last[0] > 0.5 or done >= total:
                last[0] = time.time()
                update(folder, step=step, done=done, total=total)

        return report

    door = _Door(db, officer.actor, keep=commit)
    res, problems = None, []
    try:
        try:
            res = importer.run_import(
                door, kind, path, officer, progress=progress("rows"), area_progress=progress("area"), max_rows=max_rows
            )
        except ValidationFailed as exc:
            res, problems = exc.result, exc.problems
    except UserError as exc:  # an unreadable file: wrong encoding, not a spreadsheet, empty
        update(folder, state="failed", error={"zh": exc.zh, "en": exc.en})
        _restore(folder, commit)
        return
    except Exception:
        log.exception("web import %s failed", folder.name)
        msg = N_("The import stopped with an internal error; nothing was changed.")
        update(folder, state="failed", error={"zh": gettext("zh", msg), "en": gettext("en", msg)})
        _restore(folder, commit)
        return
    found = sorted((Finding.of(p) for p in problems), key=lambda f: f.row or 0)
    n_problems = res.n_problems if res is not None else len(problems)
    warnings = [Finding.of(w) for w in (res.warnings if res is not None else [])]
    counts = {
        "rows": res.rows if res else 0,
        "created": res.created if res else 0,
        "unchanged": res.unchanged if res else 0,
        "previously_imported": bool(res and res.previously_imported),
    }
    if commit and not n_problems:
        shutil.rmtree(folder / "committing", ignore_errors=True)  # the file and its report go at once
        (folder / "errors.xlsx").unlink(missing_ok=True)
        update(folder, state="done", batch=res.batch_id, problems=[], warnings=[], n_problems=0, n_warnings=len(warnings), **counts)
        return
    if found or warnings:
        write_report(found, warnings, kind, folder / "errors.xlsx")
    _restore(folder, commit)
    update(
        folder,
        state="checked",
        problems=[f.as_dict() for f in found[:SHOWN]],
        n_problems=n_problems,
        warnings=[w.as_dict() for w in warnings[:SHOWN]],
        n_warnings=len(warnings),
        **counts,
    )


def _restore(folder: Path, commit: bool) -> None:
    if commit and (folder / "committing").exists():
        os.replace(folder / "committing", folder / "upload")


def start(request: Request, user, folder: Path, *, commit: bool) -> threading.Thread:
    meta = read(folder) or {}
    addr = request.client.host if request.client else "?"
    officer = Officer.for_account(user.account, user.scope, channel="import", origin=f"web:{addr} {meta['name']} sha256:{meta['sha256']}")
    t = threading.Thread(
        target=_work,
        args=(request.app.state.db, folder, officer),
        kwargs={"commit": commit, "max_rows": request.app.state.settings.import_max_rows},
        name=f"renkou-import-{folder.name[:8]}",
        daemon=True,
    )
    t.start()
    return t


def write_report(found: list[Finding], warnings: list[Finding], kind: str, path: Path) -> None:
    """The full error report: one line per problem (and warning) — row, column, value, rule, both messages."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    zh = {c.key: c.zh for c in templates.columns(kind)}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误 Errors")
    ws.append(["行 Row", "列 Column", "值 Value", "规则 Rule", "说明", "Message", "级别 Severity"])
    for severity, rows in (("错误 error", found), ("提示 warning", warnings)):
        for f in rows:
            col = f"{zh[f.field]} {f.field}" if f.field in zh else f.field
            ws.append(
                [f.row or "", col, xlsx_text(WriteOnlyCell(ws, f.value)), f.rule, f.zh, f.en, severity]
            )  # the value may look like a formula
    wb.save(path)
