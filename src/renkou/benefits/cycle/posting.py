"""Public posting (公示) of a village's reviewed applications, its printable notice, and its end.

A posting starts on a day and runs for ``RENKOU_BENEFIT_POSTING_DAYS`` days (stored with the posting
when it starts); it can be ended on ``starts_on + days`` at the earliest, never on a day still to
come. The notice (PDF or XLSX through renkou.stats.render, with the embedded CJK font) shows the
names, ID numbers masked, the village, the programme and the year's amount.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renkou.auth.officer import Officer
from renkou.auth.scope import Scope
from renkou.benefits.cycle import application_workflow, applications
from renkou.benefits.eligibility.service import Eligibility
from renkou.config import Settings
from renkou.core.idnumber import mask
from renkou.errors import UserError
from renkou.registry import orgs
from renkou.stats.table import Column, Row, Table
from renkou.storage.schema import CENT, BenefitApplication, BenefitPosting, OrgUnit, Person


def get_posting(session: Session, officer: Officer, number: int) -> BenefitPosting:
    officer.require("benefit:read", "查看公示", "read postings")
    p = session.get(BenefitPosting, number)
    officer.require_unit(p.unit_id if p else None, "公示", "posting", number)
    return p


def list_postings(
    session: Session, officer: Officer, *, programme: str | None = None, year: int | None = None
) -> list[tuple[BenefitPosting, int]]:
    """The postings of the officer's area, the newest first, each with the number of its applications."""
    officer.require("benefit:read", "查看公示", "read postings")
    n = (
        select(func.count(BenefitApplication.id))
        .where(BenefitApplication.posting_id == BenefitPosting.id)
        .correlate(BenefitPosting)
        .scalar_subquery()
    )
    q = select(BenefitPosting, n)
    if officer.scope.unit_ids is not None:
        q = q.where(BenefitPosting.unit_id.in_(officer.scope.unit_ids))
    if programme is not None:
        q = q.where(BenefitPosting.programme == programme)
    if year is not None:
        q = q.where(BenefitPosting.year == year)
    return [(p, k) for p, k in session.execute(q.order_by(BenefitPosting.id.desc()))]


def last_day(p: BenefitPosting) -> dt.date:
    """The posting's last full day; it may be ended the day after."""
    return p.starts_on + dt.timedelta(days=p.days - 1)


def post(
    session: Session,
    officer: Officer,
    settings: Settings,
    *,
    programme: str,
    year: int,
    village: str,
    starts_on: dt.date,
    today: dt.date | None = None,
) -> BenefitPosting:
    """Post every application of ``village`` (and the groups below it) to ``programme`` for ``year``
    that the village has reviewed (benefit:apply)."""
    officer.writing(session)
    officer.require("benefit:apply", "张榜公示", "post applications publicly")
    unit = orgs.get_unit(session, village)
    officer.require_unit(unit.id, "单位", "unit", village)
    if unit.level != "village":
        raise UserError(f"公示以村（居）为单位，{village} 不是村（居）", f"postings are by village; {village} is not a village")
    inside = Scope.for_unit(session, unit.id, starts_on).unit_ids
    q = select(BenefitApplication).where(
        BenefitApplication.programme == programme, BenefitApplication.year == year, BenefitApplication.status == "village_reviewed"
    )
    if inside is not None:
        q = q.where(BenefitApplication.unit_id.in_(inside))
    apps = list(session.scalars(q.order_by(BenefitApplication.id)))
    if not apps:
        raise UserError(
            f"{village} 没有已通过村级审核、待公示的 {programme} {year} 年度申请",
            f"{village} has no {programme} applications for {year} reviewed by the village and waiting to be posted",
        )
    posting = BenefitPosting(programme=programme, year=year, unit_id=unit.id, starts_on=starts_on, days=settings.benefit_posting_days)
    session.add(posting)
    session.flush()
    for app in apps:
        applications.require_due(app, "post")
        applications.record_step(session, officer, app, "post", starts_on, f"公示 {posting.id} / posting {posting.id}", today)
        application_workflow.move(app, "posting")
        app.posting_id = posting.id
    session.flush()
    return posting


def end_posting(session: Session, officer: Officer, number: int, *, on: dt.date, today: dt.date | None = None) -> BenefitPosting:
    """End a posting whose days have passed (benefit:apply); its applications await the township."""
    officer.writing(session)
    officer.require("benefit:apply", "结束公示", "end postings")
    p = get_posting(session, officer, number)
    if p.closed_on is not None:
        raise UserError(f"公示 {p.id} 已于 {p.closed_on} 结束", f"posting {p.id} already ended on {p.closed_on}", code="step_refused")
    earliest = p.starts_on + dt.timedelta(days=p.days)
    if on < earliest:
        raise UserError(
            f"公示 {p.id} 自 {p.starts_on} 起公示 {p.days} 天，最早于 {earliest} 结束",
            f"posting {p.id} runs {p.days} days from {p.starts_on}: it can end on {earliest} at the earliest",
            code="step_refused",
        )
    for app in session.scalars(
        select(BenefitApplication).where(BenefitApplication.posting_id == p.id, BenefitApplication.status == "posting")
    ):
        applications.record_step(session, officer, app, "post_end", on, f"公示 {p.id} / posting {p.id}", today)
        application_workflow.move(app, "posted")
    p.closed_on = on
    session.flush()
    return p


def notice(
    session: Session,
    officer: Officer,
    eligibility: Eligibility,
    programmes: dict,
    number: int,
    *,
    prepared_by: str = "",
    today: dt.date | None = None,
) -> Table:
    """The printable notice of a posting (render it with renkou.stats.render.to_pdf / to_xlsx)."""
    p = get_posting(session, officer, number)
    prog = programmes[p.programme]
    unit = session.get(OrgUnit, p.unit_id)
    h = orgs.Hierarchy.as_of(session, p.starts_on)
    rows = []
    q = (
        select(BenefitApplication, Person)
        .join(Person, Person.id == BenefitApplication.person_id)
        .where(BenefitApplication.posting_id == p.id)
        .order_by(BenefitApplication.id)
    )
    posted = session.execute(q).all()
    ents = eligibility.entitlements(p.programme, [person.id for _, person in posted], p.year) if posted else {}
    for i, (app, person) in enumerate(posted, start=1):
        village = h.units.get(h.resolve(app.unit_id))
        amount = ents[person.id].amount.quantize(CENT)
        status = {"rejected": "异议成立，不予通过"}.get(app.status, "")
        rows.append(
            Row(
                (
                    i,
                    person.name,
                    mask(person.id_number) if person.id_number else "",
                    village.name if village else "",
                    prog.short_zh,
                    amount,
                    status,
                )
            )
        )
    days = f"{p.starts_on:%Y年%m月%d日}至{last_day(p):%Y年%m月%d日}"
    return Table(
        key="benefit_notice",
        title=f"{prog.zh}对象公示（{p.year}年度）",
        title_en=f"Public notice: {prog.en}, {p.year}",
        unit_code=unit.code,
        unit_name=h.units[unit.id].name if unit.id in h.units else unit.code,
        period_label=days,
        period_label_en=f"{p.starts_on} to {last_day(p)}",
        prepared_by=prepared_by or officer.username,
        prepared_on=today or dt.date.today(),
        columns=(
            Column("n", ("序号",), ("No.",)),
            Column("name", ("姓名",), ("Name",), kind="text"),
            Column("id_number", ("身份证号码",), ("ID number",), kind="text"),
            Column("village", ("村（居）",), ("Village",), kind="text"),
            Column("programme", ("项目",), ("Programme",), kind="text"),
            Column("amount", ("年度金额（元）",), ("Amount for the year (yuan)",), kind="count", decimals=2),
            Column("note", ("备注",), ("Note",), kind="text"),
        ),
        rows=tuple(rows),
        notes=(f"公示期内对上述人员有异议的，请向村（居）委会或乡镇（街道）反映（公示编号 {p.id}）。", "身份证号码已部分隐藏。"),
        notes_en=(
            f"Objections during the posting go to the village committee or the township (posting no. {p.id}).",
            "ID numbers are partly hidden.",
        ),
        meta={"posting": p.id, "programme": p.programme, "year": p.year},
        notice=True,
    )
