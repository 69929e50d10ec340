"""What the benefit pages share: the signed-in account as an ``Officer`` of the benefit services, one
eligibility service per process, running one service call in the account's audited write
transaction, and turning the services' refusals into pages.

The pages are a thin shell: every rule — who may do a step, whose records an account may touch, when a
step is due, what a value must look like — is the services' (renkou.benefits), checked there and
nowhere else, exactly as for the ``renkou benefits`` commands. A refusal shows the service's own
Chinese (or English) message and changes nothing: the write transaction rolls back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from renkou.auth.officer import Officer
from renkou.benefits.cycle import intake
from renkou.benefits.eligibility.service import Eligibility
from renkou.core import numbers
from renkou.core.dates import parse_date
from renkou.core.problems import Problem, problem
from renkou.errors import NotFound, UserError, ValidationFailed
from renkou.web.deps import officer
from renkou.web.i18n import gettext, language_of
from renkou.web.render import message, render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"xlsx": XLSX, "pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}
MAX_UPLOAD = 32 * 2**20  # an application list or a bank's result file


def eligibility(request: Request) -> Eligibility:
    """The eligibility service of this process (renkou.benefits.eligibility.service.Eligibility), on the
    pages' statistics model; made on first use (it loads the programmes and amounts of the county's rules)."""
    state = request.app.state
    if getattr(state, "eligibility", None) is None:
        state.eligibility = Eligibility(state.db, state.settings, stats=state.stats)
    return state.eligibility


def programmes(request: Request) -> dict:
    return eligibility(request).programmes


def pick(pair: tuple[str, str] | tuple, lang: str) -> str:
    """The Chinese or English text of a (zh, en) pair of the services' tables (STEPS, CAUSES...)."""
    return pair[1] if lang == "en" else pair[0]


def programme_name(request: Request, key: str, lang: str) -> str:
    prog = programmes(request).get(key)
    if prog is None:
        return key
    return prog.en if lang == "en" else prog.short_zh


def yuan(amount: Decimal | int | float | None) -> str:
    """Yuan in a column headed 元: two decimals, thousands separators, no sign (renkou.core.numbers)."""
    return numbers.money(amount, sign=False)


# ---------------------------------------------------------------------------------------- acting


@dataclass
class Refusal:
    """A service's refusal as a page shows it: the status, the message, and each problem of a
    validation with its field (for a message next to the field), value and rule."""

    status: int
    message: str
    problems: list[dict] = field(default_factory=list)

    @property
    def by_field(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for p in self.problems:
            out.setdefault(p["field"], []).append(p["message"])
        return out


# the benefit forms' field names as a refusal names them (the labels of the forms), in the page's language
FIELD_LABELS = {
    "person": "Person",
    "reason": "Reason",
    "content": "Content of the objection",
    "objector": "Raised by",
    "resolution": "Resolution",
    "outcome": "Outcome",
    "decision": "Decision",
    "village": "Village",
    "programme": "Programme",
    "year": "Year",
    "account_no": "Bank account",
    "bank": "Bank",
    "payee": "Payee",
    "attested": "Declared facts",
    "applied_on": "Date of application",
    "date": "Date",
    "period": "Payment period",
    "kind": "Kind",
    "detail": "Detail",
    "since": "Since",
    "until": "Until",
    "starts_on": "First day of the posting",
    "notice": "Notice of the receiving county",
    "format": "Format",
    "file": "File",
    "id_number": "ID number",
}


def field_label(field: str | None, lang: str) -> str:
    """A problem's field as the page names it: the form's label (FIELD_LABELS), or the Chinese column
    header of the application import (声明事项...); a field of neither, as it is."""
    if not field:
        return ""
    if field in FIELD_LABELS:
        return gettext(lang, FIELD_LABELS[field])
    known = intake.COLUMNS.get(field)
    return known[0] if known and lang != "en" else field


def refusal(exc: UserError, lang: str) -> Refusal:
    status = 404 if isinstance(exc, NotFound) or exc.code == "not_found" else 403 if exc.code == "forbidden" else 400
    probs = []
    if isinstance(exc, ValidationFailed):
        probs = [
            {
                "field": p.field,
                "label": field_label(p.field, lang),
                "value": p.value,
                "rule": p.rule,
                "row": p.row,
                "message": p.en if lang == "en" else p.zh,
            }
            for p in exc.problems
        ]
    return Refusal(status, exc.en if lang == "en" else exc.zh, probs)


def act(request: Request, user, fn: Callable[[Any, Officer], Any], *, reason: str = "", note: str = "") -> tuple[Any, Refusal | None]:
    """Run ``fn(session, officer)`` in the account's audited write transaction: (its result, None), or
    (None, the refusal) when a service refuses — then nothing is written."""
    off = officer(request, user)
    try:
        with request.app.state.db.write(off.actor, reason=reason, note=note) as s:
            return fn(s, off), None
    except UserError as exc:
        return None, refusal(exc, language_of(request))


def read(request: Request, user, fn: Callable[[Any, Officer], Any]) -> tuple[Any, Refusal | None]:
    """Run ``fn(session, officer)`` in a read transaction: (its result, None) or (None, the refusal)."""
    off = officer(request, user)
    try:
        with request.app.state.db.read() as s:
            return fn(s, off), None
    except UserError as exc:
        return None, refusal(exc, language_of(request))


def page(request: Request, name: str, user, status: int = 200, **ctx) -> HTMLResponse:
    """A benefit page: the section's navigation, the message of the step just done (``?done=``), the
    (zh, en) chooser ``L`` and today's date for date fields."""
    lg = language_of(request)
    done = request.query_params.get("done", "")
    return render(
        request,
        name,
        user,
        status=status,
        **{
            "L": lambda pair: pick(pair, lg),
            "yuan": yuan,
            "today": dt.date.today().isoformat(),
            "done": DONE.get(done, ("", ""))[lg == "en"],
            "error": None,
            "errors": {},
            "v": {},
            **ctx,
        },
    )


def refused(request: Request, user, r: Refusal) -> HTMLResponse:
    """A refusal on a page of its own (a record not found, a role not permitted)."""
    lg = language_of(request)
    title = {404: gettext(lg, "Not found"), 403: gettext(lg, "Not permitted")}.get(r.status, gettext(lg, "Nothing was changed"))
    return message(request, user, r.status, title, r.message)


def back(url: str, done: str) -> RedirectResponse:
    """303 to ``url`` after a step, which names it (``?done=``: one of DONE's keys)."""
    sep = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{sep}done={done}", status_code=303)


# what a page says after a step was saved (?done=KEY): (zh, en)
DONE = {
    "applied": ("申请已录入，待村级审核。", "The application is entered; next: the village review."),
    "imported": ("申请已导入。", "The applications are imported."),
    "village_review": ("村级审核已办理。", "The village review is done."),
    "township_review": ("乡镇审核已办理。", "The township review is done."),
    "confirm": ("县级确认已办理。", "The county confirmation is done."),
    "rejected": ("申请已不予通过。", "The application is rejected."),
    "objection": ("异议已登记；处理前不能乡镇审核。", "The objection is recorded; the township review waits for its resolution."),
    "resolved": ("异议已处理。", "The objection is resolved."),
    "posted": ("已张榜公示。", "The applications are posted."),
    "post_end": ("公示已结束，申请待乡镇审核。", "The posting has ended; the applications await the township review."),
    "detected": ("已检查退出情形。", "Exits were looked for."),
    "exit_confirmed": ("退出已确认。", "The exit is confirmed."),
    "exit_dismissed": ("退出建议已驳回。", "The exit proposal is dismissed."),
    "reconfirmed": ("年度确认已办理。", "The re-confirmation is done."),
    "account": ("收款账户已变更。", "The account is changed."),
    "batch": ("发放批次已建立。", "The batch is created."),
    "checked": ("批次已核查。", "The batch is checked."),
    "cleared": ("核查发现已解除。", "The finding is cleared."),
    "voided": ("款项已作废。", "The line is voided."),
    "released": ("批次已放行。", "The batch is released."),
    "held": (
        "没有放行：每笔款项都被核查拦截。核查发现已记录，请解除或作废后再放行。",
        "Nothing was released: every line is blocked. The findings are recorded; clear or void them, then release.",
    ),
    "result": ("银行回盘已导入。", "The bank's result is imported."),
    "coverage": ("覆盖记录已保存。", "The coverage record is saved."),
}


# ---------------------------------------------------------------------------------------- values


async def posted(request: Request) -> FormData:
    """The submitted form, as a dependency (``form: Posted``): the route itself can then be a plain
    function, which FastAPI runs in its thread pool — a step that asks the eligibility service or
    reads a file never holds up the other requests."""
    return await request.form()  # parsed once, by the application's CSRF check


Posted = Annotated[FormData, Depends(posted)]


def fields(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    """The form's fields ``names`` as stripped text ("" when absent)."""
    return {n: str(form.get(n, "")).strip() for n in names}


def uploaded(form: FormData, name: str = "file") -> tuple[bytes, str] | None:
    """The uploaded file's bytes and name (read in the thread pool), or None when no file was chosen
    or it is larger than MAX_UPLOAD; the file's temporary copy is closed either way."""
    f = form.get(name)
    if f is None or isinstance(f, str):
        return None
    try:
        data = f.file.read(MAX_UPLOAD + 1) if f.filename else b""
    finally:
        f.file.close()
    return (data, f.filename) if f.filename and len(data) <= MAX_UPLOAD else None


def day(raw: str, name: str, probs: list[Problem], *, default_today: bool = True) -> dt.date | None:
    """A date field: empty means today (unless required), else YYYY-MM-DD or the forms' other spellings;
    never after today (the services refuse it too, but the field gets its own message)."""
    if not raw:
        if default_today:
            return dt.date.today()
        probs.append(problem("required", name, ""))
        return None
    d = parse_date(raw)
    if d is None:
        probs.append(problem("bad_date", name, raw))
        return None
    if d > dt.date.today():
        probs.append(problem("future_date", name, raw))
        return None
    return d


def number(raw: str, name: str, probs: list[Problem], *, low: int | None = None, high: int | None = None) -> int | None:
    if not raw:
        probs.append(problem("required", name, ""))
        return None
    if not re.fullmatch(r"-?\d{1,9}", raw):
        probs.append(problem("bad_int", name, raw))
        return None
    if (low is not None and int(raw) < low) or (high is not None and int(raw) > high):
        probs.append(problem("bad_choice", name, raw, choices=f"{low}–{high}"))
        return None
    return int(raw)


def problems_refusal(probs: list[Problem], lang: str) -> Refusal:
    return refusal(ValidationFailed(probs), lang)


def attachment(data: bytes, fmt: str, name: str, fallback: str) -> Response:
    """A download with a UTF-8 file name and an ASCII fallback (RFC 6266 / 5987)."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", name) + "." + fmt
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", fallback) + "." + fmt
    return Response(
        data,
        media_type=MEDIA.get(fmt, "application/octet-stream"),
        headers={"content-disposition": f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(safe)}", "cache-control": "no-store"},
    )
