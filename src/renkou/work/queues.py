"""The work queues of an officer: for each kind of pending work its role may do, how much of it waits in
the officer's area, and the page that lists it.

The kinds are data (``KINDS``): a key, the Chinese and English names, the permission that does the work
(renkou.auth.roles), the function that counts it and the link to the list. Counting is one indexed SQL
count per kind (the applications' statuses are one grouped count shared by their kinds), never a loop
over persons in Python: the home page shows them on every visit.

* applications awaiting the village review, the posting, the township review, the county confirmation —
  each for the permission of its step (renkou.benefits.cycle.applications);
* postings whose days have passed, to end (benefit:apply);
* objections not yet resolved (benefit:review);
* exit proposals to decide (benefit:confirm);
* payment batches still drafts, to check and release (payment:manage; batches are the county's);
* the account's uploaded import files whose check found problems (import:write; the files are the web
  application's, so their count is handed in through ``Context.import_problems``);
* persons born alive, not known to have died, who have no ID number yet (person:write: the worker enters it).

A kind whose count cannot be known where the service runs (the import files outside the web) is left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, Select, and_, bindparam, exists, func, select, true
from sqlalchemy.orm import Session, aliased

from renkou.auth.officer import Officer
from renkou.auth.roles import Permission
from renkou.auth.scope import Locate
from renkou.benefits.cycle import applications
from renkou.registry.log import in_force
from renkou.storage.schema import (
    BenefitApplication,
    BenefitExit,
    BenefitObjection,
    BenefitPosting,
    BenefitRecipient,
    Event,
    PaymentBatch,
    Person,
)

__all__ = ["KINDS", "Context", "Queue", "QueueKind", "births_without_id", "count_births_without_id", "pending"]

P = Permission


@dataclass
class Context:
    """What counting needs besides the session and the officer: today's date; the number of the account's
    uploaded files with problems, when the caller keeps such files (the web application); a ``locate``
    that places persons in units without reading the event log (the web application's statistics model:
    the area check of the births without an ID number then costs a lookup, not a query over the log);
    and a memo that lets kinds share one query within a call of ``pending``."""

    today: dt.date
    import_problems: Callable[[], int] | None = None
    locate: Locate | None = None  # where persons stand without reading the event log (renkou.stats' Stats.locate)
    memo: dict[str, Any] = field(default_factory=dict)


Count = Callable[[Session, Officer, Context], "int | None"]


@dataclass(frozen=True)
class QueueKind:
    key: str
    zh: str
    en: str
    permission: Permission
    count: Count
    link: str


@dataclass(frozen=True)
class Queue:
    """One kind of work and how much of it waits."""

    kind: QueueKind
    count: int

    @property
    def key(self) -> str:
        return self.kind.key

    @property
    def link(self) -> str:
        return self.kind.link

    def label(self, lang: str) -> str:
        return self.kind.en if lang == "en" else self.kind.zh


# ------------------------------------------------------------------------------------------- the counts


def _in_area(officer: Officer, column: Any) -> Any:
    """``column`` (a unit id) in the officer's area; True for a county-wide officer."""
    return true() if officer.scope.unit_ids is None else column.in_(officer.scope.unit_ids)


def _statuses(session: Session, officer: Officer, ctx: Context) -> dict[str, int]:
    if "statuses" not in ctx.memo:
        ctx.memo["statuses"] = applications.status_counts(session, officer)
    got: dict[str, int] = ctx.memo["statuses"]
    return got


def applications_in(status: str) -> Count:
    """The count of the area's applications in ``status``."""

    def count(session: Session, officer: Officer, ctx: Context) -> int:
        return _statuses(session, officer, ctx).get(status, 0)

    return count


def postings_to_end(session: Session, officer: Officer, ctx: Context) -> int:
    """Open postings of the area whose days have passed (renkou.benefits.cycle.posting.end_posting's rule:
    ``starts_on + days`` on or before today). Open postings are few — one per village, programme and year —
    so their dates are compared here rather than with each database's own date arithmetic."""
    rows = session.execute(
        select(BenefitPosting.starts_on, BenefitPosting.days).where(
            BenefitPosting.closed_on.is_(None), _in_area(officer, BenefitPosting.unit_id)
        )
    ).all()
    return sum(1 for starts, days in rows if starts + dt.timedelta(days=days) <= ctx.today)


def objections_open(session: Session, officer: Officer, ctx: Context) -> int:
    q = (
        select(func.count(BenefitObjection.id))
        .join(BenefitApplication, BenefitApplication.id == BenefitObjection.application_id)
        .where(BenefitObjection.outcome.is_(None), _in_area(officer, BenefitApplication.unit_id))
    )
    return session.scalar(q) or 0


def exits_to_decide(session: Session, officer: Officer, ctx: Context) -> int:
    q = (
        select(func.count(BenefitExit.id))
        .join(BenefitRecipient, BenefitRecipient.id == BenefitExit.recipient_id)
        .where(BenefitExit.status == "proposed", _in_area(officer, BenefitRecipient.unit_id))
    )
    return session.scalar(q) or 0


def batches_to_check(session: Session, officer: Officer, ctx: Context) -> int:
    """Draft batches: the county's (renkou.benefits.payments.batches.get_batch), none below it."""
    if not officer.scope.everything:
        return 0
    return session.scalar(select(func.count(PaymentBatch.id)).where(PaymentBatch.status == "draft")) or 0


def imports_with_problems(session: Session, officer: Officer, ctx: Context) -> int | None:
    return ctx.import_problems() if ctx.import_problems is not None else None


def _without_id_statement() -> Select[tuple[int]]:
    """Ids of persons without an ID number whose birth (in force) is on or before ``:day`` and who have no
    death in force by then: from the person table's ID-number index, each birth and death found through
    ix_event_person_kind_date. Built once, the day a parameter: building it costs more than running it."""
    birth, death = aliased(Event, name="birth_event"), aliased(Event, name="death_event")
    day = bindparam("day", type_=Date)
    return select(Person.id).where(
        Person.id_number.is_(None),
        exists().where(and_(birth.person_id == Person.id, birth.kind == "birth", birth.date <= day, in_force(birth))),
        ~exists().where(and_(death.person_id == Person.id, death.kind == "death", death.date <= day, in_force(death))),
    )


WITHOUT_ID = _without_id_statement()


def _in_scope(session: Session, officer: Officer, ctx: Context) -> list[int] | None:
    """The ids of the area's persons without an ID number, when ``ctx.locate`` places them (None: it
    cannot, the SQL of the scope decides). Such persons are few — newborns awaiting their number — so
    their ids are read first (the ID-number index) and placed in memory."""
    if ctx.locate is None:
        return None
    if "without_id" not in ctx.memo:
        ids = list(session.scalars(WITHOUT_ID, {"day": ctx.today}))
        ctx.memo["without_id"] = ids if officer.scope.everything else officer.scope.located(ctx.locate(ids, ctx.today))
    got: list[int] = ctx.memo["without_id"]
    return got


def _scoped(officer: Officer, day: dt.date, ids: Select[tuple[int]]) -> Select[tuple[int]]:
    inside = officer.scope.person_ids(day, persons=ids)
    return ids if inside is None else ids.where(Person.id.in_(inside))


def count_births_without_id(session: Session, officer: Officer, ctx: Context) -> int:
    """Persons of the area born alive (a birth in force) who have no ID number yet and have not died."""
    officer.require(P.PERSON_READ, "查看人员", "read persons")
    placed = _in_scope(session, officer, ctx)
    if placed is not None:
        return len(placed)
    q = _scoped(officer, ctx.today, WITHOUT_ID)
    return session.scalar(select(func.count()).select_from(q.subquery()), {"day": ctx.today}) or 0


@dataclass(frozen=True)
class Newborn:
    person_id: int
    name: str
    sex: str
    birth_date: dt.date
    temp_key: str


def births_without_id(
    session: Session,
    officer: Officer,
    *,
    today: dt.date | None = None,
    offset: int = 0,
    limit: int = 100,
    locate: Locate | None = None,
) -> tuple[int, list[Newborn]]:
    """(how many, the ``limit`` from ``offset``) of the area's persons born alive without an ID number yet,
    the oldest birth first (the longest waiting); ``locate`` as in ``Context``."""
    ctx = Context(today or dt.date.today(), locate=locate)
    total = count_births_without_id(session, officer, ctx)
    placed = _in_scope(session, officer, ctx)
    q = select(Person.id, Person.name, Person.sex, Person.birth_date, Person.temp_key)
    if placed is not None:
        q = q.where(Person.id.in_(placed or [-1]))
    else:
        ids = _scoped(officer, ctx.today, WITHOUT_ID).subquery()
        q = q.where(Person.id.in_(select(ids.c.id)))
    q = q.order_by(Person.birth_date, Person.id).offset(max(offset, 0)).limit(max(limit, 0))
    rows = session.execute(q, {"day": ctx.today}).all()
    return total, [Newborn(i, n, s, b, t or "") for i, n, s, b, t in rows]


# ------------------------------------------------------------------------------------------- the kinds

KINDS: tuple[QueueKind, ...] = (
    QueueKind(
        "village_review", "待村级审核的申请", "Applications awaiting the village review", P.BENEFIT_APPLY,
        applications_in("applied"), "/benefits?status=applied",
    ),
    QueueKind(
        "to_post", "待张榜公示的申请", "Applications awaiting the public posting", P.BENEFIT_APPLY,
        applications_in("village_reviewed"), "/benefits/postings",
    ),
    QueueKind(
        "postings_to_end", "公示期满待结束的公示", "Postings whose days have passed, to end", P.BENEFIT_APPLY,
        postings_to_end, "/benefits/postings",
    ),
    QueueKind(
        "objections_open", "待处理的异议", "Objections to resolve", P.BENEFIT_REVIEW,
        objections_open, "/benefits?objections=open",
    ),
    QueueKind(
        "township_review", "待乡镇审核的申请", "Applications awaiting the township review", P.BENEFIT_REVIEW,
        applications_in("posted"), "/benefits?status=posted",
    ),
    QueueKind(
        "confirm", "待县级确认的申请", "Applications awaiting the county confirmation", P.BENEFIT_CONFIRM,
        applications_in("township_reviewed"), "/benefits?status=township_reviewed",
    ),
    QueueKind(
        "exits_to_decide", "待确认的退出建议", "Exit proposals to decide", P.BENEFIT_CONFIRM,
        exits_to_decide, "/benefits/exits?status=proposed",
    ),
    QueueKind(
        "batches_to_check", "待核查放行的发放批次", "Payment batches to check and release", P.PAYMENT_MANAGE,
        batches_to_check, "/benefits/batches",
    ),
    QueueKind(
        "imports_with_problems", "有错误的导入文件", "Import files with problems", P.IMPORT_WRITE,
        imports_with_problems, "/import#my-files",
    ),
    QueueKind(
        "births_without_id", "尚无身份证号的出生人口", "Births without an ID number yet", P.PERSON_WRITE,
        count_births_without_id, "/work/births-without-id",
    ),
)  # fmt: skip


def pending(session: Session, officer: Officer, ctx: Context, kinds: tuple[QueueKind, ...] = KINDS) -> list[Queue]:
    """The queues of the kinds the officer's role may work on, each counted within its area, in the
    order of ``kinds``; a kind that cannot be counted here is left out."""
    out = []
    for k in kinds:
        if not officer.may(k.permission):
            continue
        n = k.count(session, officer, ctx)
        if n is not None:
            out.append(Queue(k, n))
    return out
