"""The import page (/import, permission import:write): upload a CSV or XLSX file of organisation units,
households, persons or events; read its validation report on screen; then commit it, or leave it and
nothing changes.

* Validation runs the real importer (renkou.exchange.importer.run_import) in a write transaction that is
  rolled back at its end (the importer has no dry run): the same checks, the same counts, nothing kept.
  The importer applies the account's area (renkou.exchange.area) itself, before its other checks.
* The uploaded file waits in a folder of its own under the server's data directory (``app.state.import_dir``),
  named by an unguessable token and bound to the account that uploaded it; another account's token is
  "not found". A folder left alone for an hour is deleted; the file and its error report are deleted as
  soon as the file is committed.
* Commit runs the real, atomic import with the actor ``Actor(username, "import", "web:ADDRESS NAME
  sha256:DIGEST")``: the area rule again, then the importer, in one transaction, so a row that has left
  the area since validation still stops the whole file.
* Both steps run in a thread; the request waits ``WAIT`` seconds, so a small file shows its report at
  once and a large one a progress page that HTMX polls (``HX-Refresh`` reloads it when done).

The jobs' folders, records and the work itself are in renkou.web.imports.jobs; how a problem is shown in renkou.web.imports.area.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from renkou.auth.roles import Permission
from renkou.exchange import templates
from renkou.web.deps import User, require
from renkou.web.i18n import gettext, language_of
from renkou.web.imports.jobs import RUNNING, find_job, folder_of_jobs, purge, safe_name, start, update, with_problems
from renkou.web.render import message, render

Importer = Annotated[User, Depends(require(Permission.IMPORT_WRITE))]
router = APIRouter(include_in_schema=False)

KINDS = tuple(templates.KINDS)  # orgs, households, persons, events
WAIT = 2.0  # seconds a request waits for the work before it shows the progress page
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")  # times shown on the page


# ------------------------------------------------------------------------------------ the pages


def _title(lang: str) -> str:
    return gettext(lang, "Import data")


def _kinds(lang: str) -> list[dict]:
    return [{"key": k, "label": v[1] if lang == "en" else v[0]} for k, v in templates.KINDS.items()]


def _page(request: Request, user, status: int = 200, error: str = "", kind: str = "") -> HTMLResponse:
    lg = language_of(request)
    labels = dict((k["key"], k["label"]) for k in _kinds(lg))
    mine = [
        {**j, "kind_label": labels.get(j["kind"], j["kind"]), "when": f"{dt.datetime.fromtimestamp(j['created'], BEIJING):%Y-%m-%d %H:%M}"}
        for j in with_problems(folder_of_jobs(request), user)
    ]
    return render(
        request,
        "imports/import.html",
        user,
        status=status,
        title=_title(lg),
        kinds=_kinds(lg),
        error=error,
        kind=kind,
        max_mb=request.app.state.settings.max_upload_mb,
        mine=mine,
    )


def _gone(request: Request, user) -> HTMLResponse:
    lg = language_of(request)
    return message(
        request,
        user,
        404,
        gettext(lg, "Not found"),
        gettext(lg, "No such import file: it has expired, was committed, or belongs to another account."),
    )


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request, user: Importer):
    return _page(request, user)


@router.get("/import/templates/{kind}.{fmt}")
def template_file(request: Request, user: Importer, kind: str, fmt: str):
    if kind not in KINDS or fmt not in ("xlsx", "csv"):
        lg = language_of(request)
        return message(request, user, 404, gettext(lg, "Not found"), gettext(lg, "No such template."))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.{fmt}"
        templates.write_template(kind, path, fmt)
        data = path.read_bytes()
    name = f"{templates.KINDS[kind][0]}导入模板.{fmt}"
    return Response(
        data,
        media_type=XLSX if fmt == "xlsx" else "text/csv; charset=utf-8",
        headers={"content-disposition": f"attachment; filename=\"{kind}-template.{fmt}\"; filename*=UTF-8''{quote(name)}"},
    )


@router.post("/import", response_class=HTMLResponse)
async def upload(request: Request, user: Importer):
    try:
        return await _upload(request, user)
    finally:
        await request.close()  # closes the uploaded file's temporary copy


async def _upload(request: Request, user):
    lg = language_of(request)
    form = await request.form()  # parsed once, by the application's CSRF check
    kind, upload = str(form.get("kind", "")), form.get("file")
    if kind not in KINDS:
        return _page(request, user, 400, gettext(lg, "Choose what the file holds."), kind)
    name = safe_name(getattr(upload, "filename", "") or "")
    if upload is None or isinstance(upload, str) or name is None:
        return _page(request, user, 400, gettext(lg, "Choose a CSV or XLSX file."), kind)
    base = folder_of_jobs(request)
    purge(base)
    token = secrets.token_urlsafe(32)
    folder = base / token
    (folder / "upload").mkdir(mode=0o700, parents=True)
    digest, size, most = hashlib.sha256(), 0, request.app.state.settings.max_upload_mb * 2**20  # renkou.web.uploads refuses more
    with (folder / "upload" / name).open("wb") as f:
        while block := await upload.read(1 << 20):
            size += len(block)
            if size > most:
                break
            digest.update(block)
            f.write(block)
    if size > most or size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        msg = (
            gettext(lg, "The file is empty.")
            if size == 0
            else gettext(lg, "The file is too large for the web page; import it with the command line.")
        )
        return _page(request, user, 400, msg, kind)
    update(
        folder,
        account=user.account.id,
        username=user.account.username,
        kind=kind,
        name=name,
        sha256=digest.hexdigest(),
        size=size,
        created=time.time(),
        state="checking",
        step="area",
        done=0,
        total=0,
    )
    t = start(request, user, folder, commit=False)
    await asyncio.to_thread(t.join, WAIT)
    return RedirectResponse(f"/import/{token}", status_code=303)


def _view(meta: dict, lang: str) -> dict:
    zh = {c.key: c.zh for c in templates.columns(meta["kind"])}

    def row(f: dict) -> dict:
        col = (zh.get(f["field"], f["field"]) if lang == "zh" else f["field"]) or "—"
        return {
            "row": f["row"] or "—",
            "column": col,
            "value": f["value"],
            "rule": f["rule"],
            "message": f["en"] if lang == "en" else f["zh"],
        }

    return {
        "problems": [row(f) for f in meta.get("problems", [])],
        "warnings": [row(f) for f in meta.get("warnings", [])],
        "more": max(0, meta.get("n_problems", 0) - len(meta.get("problems", []))),
        "more_warnings": max(0, meta.get("n_warnings", 0) - len(meta.get("warnings", []))),
        "kind_label": templates.KINDS[meta["kind"]][1 if lang == "en" else 0],
        "error": (meta.get("error") or {}).get(lang, ""),
    }


def _job(request: Request, user: User, token: str):
    """((folder, meta), None) for the signed-in owner of an import job; else (None, the response)."""
    job = find_job(request, user, token)
    if job is None:
        return None, _gone(request, user)
    return job, None


@router.get("/import/{token}", response_class=HTMLResponse)
def job_page(request: Request, user: Importer, token: str):
    job, refused = _job(request, user, token)
    if refused is not None:
        return refused
    folder, meta = job
    lg = language_of(request)
    return render(
        request,
        "imports/import_job.html",
        user,
        title=_title(lg),
        token=token,
        job=meta,
        view=_view(meta, lg),
        running=meta["state"] in RUNNING,
        report=(folder / "errors.xlsx").exists(),
    )


@router.get("/import/{token}/progress", response_class=HTMLResponse)
def job_progress(request: Request, user: Importer, token: str):
    """The progress fragment HTMX polls; once the work is done, a full reload of the job page."""
    job, refused = _job(request, user, token)
    if refused is not None:
        return refused
    _, meta = job
    if meta["state"] not in RUNNING:
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    return render(request, "imports/import_progress.html", user, title="", token=token, job=meta)


@router.get("/import/{token}/errors.xlsx")
def error_report(request: Request, user: Importer, token: str):
    job, refused = _job(request, user, token)
    if refused is not None:
        return refused
    if not (job[0] / "errors.xlsx").exists():
        return _gone(request, user)
    folder, meta = job
    stem = meta["name"].rsplit(".", 1)[0]
    return FileResponse(
        folder / "errors.xlsx",
        media_type=XLSX,
        headers={"content-disposition": f"attachment; filename=\"errors.xlsx\"; filename*=UTF-8''{quote(stem + '-错误报告.xlsx')}"},
    )


@router.post("/import/{token}/commit", response_class=HTMLResponse)
def commit(request: Request, user: Importer, token: str):
    job, refused = _job(request, user, token)
    if refused is not None:
        return refused
    folder, meta = job
    lg = language_of(request)
    if meta["state"] != "checked" or meta.get("n_problems"):
        if meta["state"] in (*RUNNING, "done"):
            return RedirectResponse(f"/import/{token}", status_code=303)
        return message(
            request,
            user,
            409,
            gettext(lg, "Nothing was imported"),
            gettext(lg, "The file has problems: correct them and upload it again. Nothing was changed."),
        )
    try:  # claims the file: a second commit of the same token finds nothing to move
        os.rename(folder / "upload", folder / "committing")
    except OSError:
        return RedirectResponse(f"/import/{token}", status_code=303)
    update(folder, state="committing", step="area", done=0, total=0)
    start(request, user, folder, commit=True).join(WAIT)
    return RedirectResponse(f"/import/{token}", status_code=303)
