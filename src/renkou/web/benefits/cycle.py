"""The applications of the annual cycle: the list of the account's area, entering one, importing many,
and one application with its steps, its objections and the form of the step that is due for the
account looking at it (renkou.benefits.cycle.applications and objections decide whether it may be done).

    /benefits                          the area's applications (filters: programme, year, status)
    /benefits/apply                    enter an application (village worker)
    /benefits/import                   import a CSV/XLSX of applications, all or nothing
    /benefits/applications/{n}         one application; its forms post to .../village-review,
                                       .../township-review, .../confirm, .../objections
    /benefits/objections/{n}/resolve   the township resolves an objection
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from renkou.auth.roles import Permission
from renkou.benefits.cycle import application_workflow, objections
from renkou.benefits.cycle import applications as cycle
from renkou.benefits.eligibility import verdict
from renkou.benefits.eligibility.decision import STATUS_TEXT, in_language
from renkou.core.dates import age
from renkou.core.idnumber import mask
from renkou.core.problems import problem
from renkou.errors import NotFound, UserError, ValidationFailed
from renkou.registry import persons
from renkou.registry.orgs import Hierarchy
from renkou.storage.schema import BenefitApplication, BenefitPosting, OrgUnit, Person
from renkou.web import paging
from renkou.web.benefits import common
from renkou.web.deps import Id, User, db_id, require
from renkou.web.i18n import gettext, language_of
from renkou.web.pickers import unit_choices, year_of

router = APIRouter(include_in_schema=False)


def N_(msgid: str) -> str:
    """Marks a message for extraction (the gettext no-op); translated where it is shown."""
    return msgid


APPLY_FIELDS = ("programme", "year", "person", "pid", "payee", "payee_pid", "account_no", "bank", "applied_on")
DECISIONS = ("approve", "reject")
CANDIDATES_PAGE = paging.DEFAULT_SIZE  # candidates shown at a time unless ?size= asks for another of paging.SIZES


def _who(p: Person | None) -> dict:
    if p is None:
        return {"name": "", "id": ""}
    return {"pid": p.id, "name": p.name, "id": mask(p.id_number) if p.id_number else (p.temp_key or "")}


def _unit_names(s) -> dict[int, str]:
    h = Hierarchy.as_of(s, dt.date.today())
    return {uid: u.name for uid, u in h.units.items()}


# ------------------------------------------------------------------------------------------- the list


def _is_year(raw: str) -> bool:
    """A year as the pages take it: four digits."""
    return len(raw) == 4 and raw.isascii() and raw.isdigit()


# the review each decision of the list's batch review takes, by the step due (renkou.benefits.cycle.applications.DUE)
REVIEWS = {"village_review": "benefit:apply", "township_review": "benefit:review", "confirm": "benefit:confirm"}
BATCH_MAX = 500  # applications decided in one batch review


def _reviews_of(off) -> list[str]:
    """The review steps the officer's role may take."""
    return [step for step, perm in REVIEWS.items() if off.may(perm)]


def _list_page(request: Request, user, *, programme: str = "", year: str = "", status: str = "", objections_: str = "", **extra):
    lg = language_of(request)
    progs = common.programmes(request)
    year = year_of(year)  # 2026 or 2026年 from the year picker
    f = {
        "programme": programme if programme in progs else "",
        "year": year if _is_year(year) else "",
        "status": status if status in application_workflow.STATUSES else "",
        "objections": "open" if objections_ == "open" else "",
    }
    off = common.officer(request, user)
    reviews = _reviews_of(off)

    def rows(s, off):
        which = {
            "programme": f["programme"] or None,
            "year": int(f["year"]) if f["year"] else None,
            "status": f["status"] or None,
            "open_objections": bool(f["objections"]),
        }
        pg = paging.asked(request, cycle.count_applications(s, off, **which))
        apps = cycle.list_applications(s, off, **which, offset=pg.offset, limit=pg.size, newest_first=True)
        counts = cycle.status_counts(s, off, programme=which["programme"], year=which["year"])
        names = _unit_names(s)
        people = {p.id: p for p in s.scalars(select(Person).where(Person.id.in_({a.person_id for a in apps})))} if apps else {}
        return (
            [
                {
                    "n": a.id,
                    "programme": common.programme_name(request, a.programme, lg),
                    "year": a.year,
                    "who": _who(people.get(a.person_id)),
                    "village": names.get(a.unit_id, ""),
                    "applied_on": a.applied_on.isoformat(),
                    "status": a.status,
                    "status_label": common.pick(application_workflow.STATUSES[a.status], lg),
                    "reviewable": cycle.DUE.get(a.status, ("",))[0] in reviews,
                }
                for a in apps
            ],
            counts,
            pg,
        )

    got, r = common.read(request, user, rows)
    if r is not None:
        return common.refused(request, user, r)
    found, counts, pg = got
    return common.page(
        request,
        "benefits/applications.html",
        user,
        status=extra.pop("status_code", 200),
        title=gettext(lg, "Family-support applications"),
        rows=found,
        f=f,
        pg=pg,
        total=pg.total,
        may_review=bool(reviews),
        programmes=[(k, common.programme_name(request, k, lg)) for k in progs],
        statuses=[(k, common.pick(v, lg), counts.get(k, 0)) for k, v in application_workflow.STATUSES.items()],
        **extra,
    )


@router.get("/benefits", response_class=HTMLResponse)
def applications(
    request: Request,
    user: Annotated[User, Depends(require(Permission.BENEFIT_READ))],
    programme: str = "",
    year: str = "",
    status: str = "",
    objections: str = "",
):
    """The area's applications, the newest first, a page at a time (renkou.web.paging); with the boxes and
    the decision of the batch review for an account that may take a review."""
    return _list_page(request, user, programme=programme, year=year, status=status, objections_=objections)


def _review_one(request: Request, user, number: int, step: str, *, approve: bool, on: dt.date, note: str):
    """One application of a batch review through the service of its review step, in a write transaction
    of its own (each checked and audited as if decided on its page): (None, None) or (None, the refusal)."""
    if step == "confirm":
        eligibility = common.eligibility(request)
        return common.act(
            request,
            user,
            lambda s, off: cycle.confirm(s, off, eligibility, number, on=on, approve=approve, note=note),
            reason=note if not approve else "",
        )
    return common.act(
        request,
        user,
        lambda s, off: getattr(cycle, step)(s, off, number, on=on, approve=approve, note=note),
        reason=note if not approve else "",
    )


@router.post("/benefits/review", response_class=HTMLResponse)
def batch_review(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], form: common.Posted):
    """The batch review: the applications ticked on the list, one decision (approve, or not approve with
    the reason) and one date for all. Each goes through the review step due for it — the village review,
    the township review or the county confirmation, whichever the account's role may take — exactly as on
    its own page; the answer lists those decided and each refusal with its reason."""
    lg = language_of(request)
    v = common.fields(form, ("decision", "note", "date", "programme", "year", "status", "objections"))
    back_to = {k: v[k] for k in ("programme", "year", "status")} | {"objections_": v["objections"]}
    ticked = [str(x) for x in form.getlist("n")]
    numbers = list(dict.fromkeys(n for n in (db_id(x) for x in ticked) if n is not None))
    probs = []
    on = common.day(v["date"], "date", probs)
    if not v["decision"]:
        probs.append(problem("required", "decision", ""))
    elif v["decision"] not in DECISIONS:
        probs.append(problem("bad_choice", "decision", v["decision"], choices=", ".join(DECISIONS)))
    elif v["decision"] == "reject" and not v["note"]:
        probs.append(problem("required", "note", ""))
    if not numbers or len(numbers) != len(ticked):
        probs.append(problem("required", "n", ""))
    elif len(numbers) > BATCH_MAX:
        probs.append(problem("bad_choice", "n", len(numbers), choices=f"1–{BATCH_MAX}"))
    if probs:
        err = common.problems_refusal(probs, lg)
        return _list_page(request, user, **back_to, status_code=400, error=err, errors=err.by_field, v=v)
    approve = v["decision"] == "approve"
    off = common.officer(request, user)
    reviews = _reviews_of(off)

    def steps_due(s, off):
        return {n: cycle.DUE.get(a.status, ("",))[0] for n in numbers if (a := s.get(BenefitApplication, n)) is not None}

    due, _ = common.read(request, user, steps_due)
    done, refused = [], []
    for n in numbers:
        step = (due or {}).get(n, "")
        if step not in reviews:  # not awaiting a review this role takes: the service says what it is waiting for
            step = reviews[0] if reviews else "village_review"
        _, r = _review_one(request, user, n, step, approve=approve, on=on, note=v["note"])
        if r is None:
            done.append({"n": n, "step": common.pick(cycle.STEPS[step], lg)})
        else:
            reason = r.message if not r.problems else ("; " if lg == "en" else "；").join(p["message"] for p in r.problems)
            refused.append({"n": n, "reason": reason, "link": r.status != 404})
    results = {"approve": approve, "done": done, "refused": refused}
    return _list_page(request, user, **back_to, results=results)


# ------------------------------------------------------------------------------------------- candidates


@router.get("/benefits/candidates", response_class=HTMLResponse)
def candidates(
    request: Request,
    user: Annotated[User, Depends(require(Permission.BENEFIT_READ))],
    programme: str = "reward",
    year: str = "",
    org: str = "",
):
    """Who newly qualifies for a programme in a year under a unit of the area (the eligibility
    service's candidates, as `renkou benefits candidates`), each condition with its status and the
    record it was decided from; those without an application link to the form, the person chosen.
    Counted and shown a page at a time (renkou.web.paging), the links keeping the programme, year and unit."""
    lg = language_of(request)
    eligibility = common.eligibility(request)
    progs = eligibility.programmes
    this_year = dt.date.today().year
    year = year_of(year)  # 2026 or 2026年 from the year picker
    f = {"programme": programme if programme in progs else "reward", "year": year if _is_year(year) else str(this_year), "org": org.strip()}
    off = common.officer(request, user)
    with request.app.state.db.read() as s:
        own = s.get(OrgUnit, user.account.unit_id)
        units = unit_choices(s, user.scope.root_code, dt.date.today())
    f["org"] = f["org"] or (own.code if own else "")
    title = gettext(lg, "Who newly qualifies")
    try:
        found = eligibility.candidates(f["programme"], int(f["year"]), f["org"], scope=off.scope)
    except UserError as exc:
        return common.page(
            request,
            "benefits/candidates.html",
            user,
            status=404 if isinstance(exc, NotFound) else 400,
            title=title,
            f=f,
            rows=[],
            pg=paging.page_of(1, None, 0, default_size=CANDIDATES_PAGE),
            error=common.refusal(exc, lg),
            programmes=[(k, common.programme_name(request, k, lg)) for k in progs],
            units=units,
        )
    # the eligibility model decides the unit's people as a whole: counted from its list, only a page's rows are shown
    pg = paging.asked(request, len(found), default_size=CANDIDATES_PAGE)
    found = found[pg.offset : pg.offset + pg.size]
    with request.app.state.db.read() as s:
        applied = dict(
            s.execute(
                select(BenefitApplication.person_id, BenefitApplication.id).where(
                    BenefitApplication.programme == f["programme"],
                    BenefitApplication.year == int(f["year"]),
                    BenefitApplication.status != "rejected",
                    BenefitApplication.person_id.in_([d.person_id for d in found] or [-1]),
                )
            ).all()
        )
    rows = [
        {
            "pid": d.person_id,
            "name": d.name or "",
            "id": d.id_masked or "",
            "village": d.unit_name or "",
            "eligible": d.eligible,
            "application": applied.get(d.person_id),
            "conditions": [
                {
                    "label": c.en if lg == "en" else c.zh,
                    "status": c.status,
                    "status_label": common.pick(STATUS_TEXT[c.status], lg),
                    "value": in_language(c.value, lg),
                    "records": "；".join(r.text(lg) for r in c.records) if lg == "zh" else "; ".join(r.text(lg) for r in c.records),
                }
                for c in d.conditions
            ],
        }
        for d in found
    ]
    return common.page(
        request,
        "benefits/candidates.html",
        user,
        title=title,
        f=f,
        rows=rows,
        pg=pg,
        programmes=[(k, common.programme_name(request, k, lg)) for k in progs],
        units=units,
    )


# ------------------------------------------------------------------------------------------- entering


def _chosen(request: Request, user, pid: str) -> dict | None:
    """The person a candidates list handed to the form (by internal number), if in the area."""
    if db_id(pid) is None:
        return None
    with request.app.state.db.read() as s:
        p = s.get(Person, db_id(pid))
        return _who(p) if p is not None and user.scope.has_person(s, p) else None


LINKS = {
    "self": N_("The beneficiary"),
    "spouse": N_("Spouse"),
    "mother": N_("Mother"),
    "father": N_("Father"),
    "adoptive_mother": N_("Adoptive mother"),
    "adoptive_father": N_("Adoptive father"),
    "child": N_("Child"),
}


def payees(s, user, pid: str, lg: str, today: dt.date | None = None) -> list[dict]:
    """Who may be paid for the beneficiary ``pid``: the beneficiary, their spouse, parents and children
    as the register links them — the living adults among them in the account's area, each with a
    masked ID number (nobody else is named: a relative elsewhere is simply not offered)."""
    today = today or dt.date.today()
    p = s.get(Person, db_id(pid)) if db_id(pid) is not None else None
    if p is None or not user.scope.has_person(s, p):
        return []
    fam = persons.family(s, p, today)
    pairs = [("self", p.id), *(("spouse", x) for x in [fam.spouse] if x), *fam.parents, *(("child", c) for c in fam.children)]
    people = {x.id: x for x in s.scalars(select(Person).where(Person.id.in_([i for _, i in pairs])))}
    dead = persons.deaths(s, list(people), today)
    out, seen = [], set()
    for rel, i in pairs:
        x = people.get(i)
        if i in seen or x is None or i in dead or age(x.birth_date, today) < 18 or not user.scope.has_person(s, x):
            continue
        seen.add(i)
        out.append(_who(x) | {"relation": gettext(lg, LINKS[rel]), "age": age(x.birth_date, today)})
    return out


def _payees(request: Request, user, pid: str, lg: str) -> list[dict]:
    with request.app.state.db.read() as s:
        return payees(s, user, pid, lg)


def _beneficiaries(request: Request, user, text: str, lg: str) -> list[dict]:
    """People of the area found by name, pinyin or ID number (registered ones: the living in the county)."""
    with request.app.state.db.read() as s:
        found = persons.find(s, text, scope=user.scope, locate=request.app.state.stats.locate, status=persons.REGISTERED, limit=20)
    today = dt.date.today()
    return [_who(h.person) | {"age": age(h.person.birth_date, today), "birth": h.person.birth_date.isoformat()} for h in found.hits]


def _apply_page(request: Request, user, *, status: int = 200, v: dict | None = None, error=None, find: str = ""):
    lg = language_of(request)
    progs = common.programmes(request)
    facts = [
        {
            "key": c.key,
            "label": c.en if lg == "en" else c.zh,
            "programmes": [common.programme_name(request, k, lg) for k, p in progs.items() if c in p.attestations],
        }
        for c in dict.fromkeys(c for p in progs.values() for c in p.attestations)
    ]
    this_year = dt.date.today().year
    v = v or {"year": str(this_year), "applied_on": dt.date.today().isoformat()}
    return common.page(
        request,
        "benefits/apply.html",
        user,
        status=status,
        title=gettext(lg, "New application"),
        v=v,
        error=error,
        chosen=_chosen(request, user, v.get("pid", "")),
        payees=_payees(request, user, v.get("pid", ""), lg),
        found=_beneficiaries(request, user, find, lg) if find and not v.get("pid") else None,
        find=find,
        errors=error.by_field if error else {},
        facts=facts,
        attested=set(v.get("attested", ())),
        programmes=[(k, common.programme_name(request, k, lg)) for k in progs],
    )


@router.get("/benefits/apply", response_class=HTMLResponse)
def apply_form(
    request: Request,
    user: Annotated[User, Depends(require(Permission.BENEFIT_APPLY))],
    programme: str = "",
    year: str = "",
    pid: str = "",
    find: str = "",
):
    v = {
        "year": year if _is_year(year) else str(dt.date.today().year),
        "applied_on": dt.date.today().isoformat(),
        "programme": programme,
        "pid": pid if db_id(pid) is not None else "",
    }
    return _apply_page(request, user, v=v, find=find.strip()[:50])


@router.post("/benefits/apply", response_class=HTMLResponse)
def apply(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_APPLY))], form: common.Posted):
    v = common.fields(form, APPLY_FIELDS)
    attested = [str(a) for a in form.getlist("attested")]
    v["attested"] = attested
    probs = []
    v["year"] = year_of(v["year"])  # 2026 or 2026年 from the year picker
    year = common.number(v["year"], "year", probs)
    on = common.day(v["applied_on"], "applied_on", probs)
    if not v["person"] and not v["pid"]:
        probs.append(problem("required", "person", ""))

    def enter(s, off):
        def who(field: str) -> Person | None:
            raw = v[field]
            picked = {"person": "pid", "payee": "payee_pid"}[field]
            if not raw and db_id(v[picked]) is not None:  # chosen from a list (candidates, relatives): checked like any other
                p = s.get(Person, db_id(v[picked]))
                if p is None or not off.scope.has_person(s, p, date=on):
                    probs.append(problem("unknown_person", field, "", key="#" + v[picked]))
                    return None
                return p
            if not raw:
                return None
            try:
                return persons.get_person(s, raw, scope=off.scope, date=on)
            except NotFound:  # nobody, or somebody outside the area: the same answer
                probs.append(problem("unknown_person", field, mask(raw), key=mask(raw)))
                return None

        person, payee = who("person"), who("payee")
        progs = common.programmes(request)
        if probs:  # every problem at once: the form's own, then the service's about the other fields
            _, more = cycle.check_application(
                s,
                off,
                progs,
                programme=v["programme"],
                person=person,
                year=year,
                applied_on=on,
                account_no=v["account_no"],
                payee=payee,
                attested={k: on for k in attested},
                today=dt.date.today(),
                bank=v["bank"],
            )
            seen = {p.field for p in probs}
            raise ValidationFailed(probs + [p for p in more if p.field not in seen])
        return cycle.apply(
            s,
            off,
            progs,
            programme=v["programme"],
            person=person,
            year=year,
            applied_on=on,
            account_no=v["account_no"],
            bank=v["bank"],
            payee=payee,
            attested={k: on for k in attested},
        )

    app, r = common.act(request, user, enter)
    if r is not None:
        return _apply_page(request, user, status=r.status if r.status != 404 else 400, v=v, error=r)
    return common.back(f"/benefits/applications/{app.id}", "applied")


# ------------------------------------------------------------------------------------------- importing


@router.get("/benefits/import", response_class=HTMLResponse)
def import_form(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_APPLY))]):
    return common.page(request, "benefits/import.html", user, title=gettext(language_of(request), "Import applications"))


@router.post("/benefits/import", response_class=HTMLResponse)
def import_(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_APPLY))], form: common.Posted):
    """The file is checked row by row by the importer (renkou.benefits.cycle.intake); any problem and nothing
    is imported, and the page lists each problem with its row, column, value and rule."""
    lg = language_of(request)
    got = common.uploaded(form)
    title = gettext(lg, "Import applications")
    if got is None:
        err = common.Refusal(400, gettext(lg, "Choose a CSV or XLSX file (at most 32 MB)."))
        return common.page(request, "benefits/import.html", user, status=400, title=title, error=err)
    data, name = got
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        err = common.Refusal(400, gettext(lg, "Choose a CSV or XLSX file (at most 32 MB)."))
        return common.page(request, "benefits/import.html", user, status=400, title=title, error=err)
    from renkou.benefits.cycle import intake

    off = common.officer(request, user)
    request.app.state.import_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="renkou-apps-", dir=request.app.state.import_dir) as tmp:
        path = Path(tmp) / f"{Path(name).stem[:80] or 'applications'}{suffix}"
        path.write_bytes(data)
        try:
            res = intake.import_file(request.app.state.db, off, common.programmes(request), path)
        except ValidationFailed as exc:
            err = common.refusal(exc, lg)
            return common.page(request, "benefits/import.html", user, status=400, title=title, error=err)
        except UserError as exc:
            return common.page(request, "benefits/import.html", user, status=400, title=title, error=common.refusal(exc, lg))
    return common.back(f"/benefits?status=applied&imported={res.created}", "imported")


# ------------------------------------------------------------------------------------------- one application


def _application(request: Request, user, number: int, *, status: int = 200, error=None, v: dict | None = None):
    lg = language_of(request)
    eligibility = common.eligibility(request)
    off = common.officer(request, user)

    def view(s, off):
        a = cycle.get_application(s, off, number)
        prog = eligibility.programmes.get(a.programme)
        names = {c.key: (c.zh, c.en) for c in prog.conditions} if prog else {}
        posting = s.get(BenefitPosting, a.posting_id) if a.posting_id else None
        village = _unit_names(s).get(a.unit_id, "")
        objs = objections.for_application(s, off, a.id)
        check = None
        if a.status == "township_reviewed" and off.may("benefit:confirm"):
            vd = verdict.for_year(eligibility, a.programme, a.person_id, a.year, a.attested, f"#{a.id}")
            check = {"eligible": vd.eligible, "text": vd.en if lg == "en" else vd.zh}
        return {
            "n": a.id,
            "programme": common.programme_name(request, a.programme, lg),
            "programme_key": a.programme,
            "year": a.year,
            "status": a.status,
            "status_label": common.pick(application_workflow.STATUSES[a.status], lg),
            "who": _who(s.get(Person, a.person_id)),
            "payee": _who(s.get(Person, a.payee_id)) if a.payee_id != a.person_id else None,
            "village": village,
            "applied_on": a.applied_on.isoformat(),
            "account": cycle.mask_account(a.account_no),
            "bank": a.bank,
            "attested": [(common.pick(names.get(k, (k, k)), lg), when) for k, when in a.attested.items()],
            "posting": {
                "n": posting.id,
                "starts_on": posting.starts_on.isoformat(),
                "closed_on": posting.closed_on.isoformat() if posting.closed_on else "",
            }
            if posting
            else None,
            "steps": [
                {
                    "label": common.pick(cycle.STEPS[st.step], lg),
                    "on": st.done_on.isoformat(),
                    "by": st.account,
                    "note": in_language(st.note, lg) if st.step in ("post", "post_end") else st.note,
                }
                for st in cycle.steps(s, a)
            ],
            "objections": [
                {
                    "n": o.id,
                    "raised_on": o.raised_on.isoformat(),
                    "objector": o.objector,
                    "content": o.content,
                    "by": o.recorded_by,
                    "outcome": common.pick(objections.OUTCOMES[o.outcome], lg) if o.outcome else "",
                    "resolution": o.resolution or "",
                    "resolved_on": o.resolved_on.isoformat() if o.resolved_on else "",
                    "open": o.outcome is None,
                }
                for o in objs
            ],
            "due": cycle.DUE.get(a.status, (None,))[0],
            "check": check,
        }

    a, r = common.read(request, user, view)
    if r is not None:
        return common.refused(request, user, r)
    due = a["due"]
    forms = {  # the form of the step that is due, for a role that holds its permission (the service checks again)
        "village_review": due == "village_review" and off.may("benefit:apply"),
        "township_review": due == "township_review" and off.may("benefit:review"),
        "confirm": due == "confirm" and off.may("benefit:confirm"),
        "object": a["status"] == "posting" and (off.may("benefit:apply") or off.may("benefit:review")),
        "resolve": off.may("benefit:review"),
        "post": due == "post" and off.may("benefit:apply"),
        "post_end": due == "post_end" and off.may("benefit:apply"),
    }
    due_label = common.pick(cycle.DUE[a["status"]][1:], lg) if a["status"] in cycle.DUE else ""
    label = gettext(lg, "Application")
    return common.page(
        request,
        "benefits/application.html",
        user,
        status=status,
        title=f"{label} {a['n']}",
        a=a,
        forms=forms,
        due_label=due_label,
        error=error,
        errors=error.by_field if error else {},
        v=v or {},
    )


@router.get("/benefits/applications/{number}", response_class=HTMLResponse)
def application(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], number: Id):
    return _application(request, user, number)


def _step(request: Request, user: User, form, number: int, step: str):
    """A review or the confirmation: approve, or reject with the reason; dated (default today)."""
    lg = language_of(request)
    v = common.fields(form, ("decision", "note", "date"))
    probs = []
    on = common.day(v["date"], "date", probs)
    if not v["decision"]:
        probs.append(problem("required", "decision", ""))
    elif v["decision"] not in DECISIONS:
        probs.append(problem("bad_choice", "decision", v["decision"], choices=", ".join(DECISIONS)))
    if probs:
        return _application(request, user, number, status=400, error=common.problems_refusal(probs, lg), v=v)
    approve = v["decision"] == "approve"
    if step == "confirm":
        eligibility = common.eligibility(request)
        _, r = common.act(
            request,
            user,
            lambda s, off: cycle.confirm(s, off, eligibility, number, on=on, approve=approve, note=v["note"]),
            reason=v["note"] if not approve else "",
        )
    else:
        _, r = common.act(
            request,
            user,
            lambda s, off: getattr(cycle, step)(s, off, number, on=on, approve=approve, note=v["note"]),
            reason=v["note"] if not approve else "",
        )
    if r is not None:
        if r.status == 404:
            return common.refused(request, user, r)
        return _application(request, user, number, status=r.status, error=r, v=v)
    return common.back(f"/benefits/applications/{number}", step if approve else "rejected")


@router.post("/benefits/applications/{number}/village-review", response_class=HTMLResponse)
def village_review(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_APPLY))], number: Id, form: common.Posted):
    return _step(request, user, form, number, "village_review")


@router.post("/benefits/applications/{number}/township-review", response_class=HTMLResponse)
def township_review(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_REVIEW))], number: Id, form: common.Posted):
    return _step(request, user, form, number, "township_review")


@router.post("/benefits/applications/{number}/confirm", response_class=HTMLResponse)
def confirm(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_CONFIRM))], number: Id, form: common.Posted):
    return _step(request, user, form, number, "confirm")


@router.post("/benefits/applications/{number}/objections", response_class=HTMLResponse)
def raise_objection(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], number: Id, form: common.Posted):
    lg = language_of(request)
    v = common.fields(form, ("content", "objector", "date"))
    probs = []
    on = common.day(v["date"], "date", probs)
    if probs:
        return _application(request, user, number, status=400, error=common.problems_refusal(probs, lg), v=v)
    _, r = common.act(
        request, user, lambda s, off: objections.raise_objection(s, off, number, raised_on=on, content=v["content"], objector=v["objector"])
    )
    if r is not None:
        return common.refused(request, user, r) if r.status == 404 else _application(request, user, number, status=r.status, error=r, v=v)
    return common.back(f"/benefits/applications/{number}", "objection")


@router.post("/benefits/objections/{number}/resolve", response_class=HTMLResponse)
def resolve(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_REVIEW))], number: Id, form: common.Posted):
    lg = language_of(request)
    v = common.fields(form, ("outcome", "resolution", "date", "application"))
    probs = []
    on = common.day(v["date"], "date", probs)
    app_no = db_id(v["application"])
    if probs:
        r = common.problems_refusal(probs, lg)
    else:
        o, r = common.act(
            request,
            user,
            lambda s, off: objections.resolve(s, off, number, outcome=v["outcome"], resolution=v["resolution"], on=on),
            reason=v["resolution"],
        )
        if r is None:
            return common.back(f"/benefits/applications/{o.application_id}", "resolved")
    if r.status == 404 or app_no is None:
        return common.refused(request, user, r)
    return _application(request, user, app_no, status=r.status, error=r, v=v)
