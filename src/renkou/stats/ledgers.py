"""Ledgers (台账) and rosters for a unit and period, from the same columns as the reports.

Each ledger selects its rows with the *same* counter (renkou.stats.engine.Counter) that fills the
reports: same period, basis, tree and base-unit mapping. So the births ledger of a unit has exactly
as many rows as the births in its monthly report, the moves ledger as many "in" and "out" rows as
the report's moves in and out, the women 15-49 roster as many women as the indicator — by
construction, and tested. Names and ID numbers come from the registry for the selected people
only; ID numbers are masked unless revealed (and a reveal is audited).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
from sqlalchemy import select

from renkou.core.dates import date_of
from renkou.core.idnumber import mask
from renkou.errors import UserError
from renkou.registry.asof import alive, latest
from renkou.stats.engine import MAX_AGE, Counter, age_from, ages
from renkou.stats.service import Query, Stats
from renkou.stats.table import Column, Row, Table
from renkou.storage.schema import AuditEntry, Household, Person

KINDS = {
    "births": ("出生登记台账", "Birth ledger"),
    "deaths": ("死亡登记台账", "Death ledger"),
    "marriages": ("婚姻登记台账", "Marriage ledger"),
    "moves": ("人口迁移台账", "Move ledger"),
    "households": ("户籍花名册", "Household roster"),
    "wcba": ("育龄妇女花名册", "Roster of women aged 15-49"),
}
SEX = {1: "男", 0: "女"}


def _c(key: str, zh: str, en: str, kind: str = "text") -> Column:
    return Column(key, (zh,), (en,), kind=kind)


class _People:
    """Names and ID numbers of the selected people, read in chunks."""

    def __init__(self, session, ids, reveal: bool) -> None:
        self.rows: dict[int, tuple] = {}
        ids = sorted({int(i) for i in ids if i is not None and i == i})
        for k in range(0, len(ids), 900):
            q = select(Person.id, Person.name, Person.id_number, Person.temp_key, Person.birth_date).where(Person.id.in_(ids[k : k + 900]))
            for pid, name, idn, tk, bd in session.execute(q):
                self.rows[pid] = (name, (idn if reveal else mask(idn)) if idn else (tk or ""), bd)
        self.revealed = [i for i in ids if i in self.rows] if reveal else []

    def name(self, pid) -> str:
        return self.rows.get(int(pid), ("",))[0] if pid is not None and pid == pid else ""

    def key(self, pid) -> str:
        return self.rows.get(int(pid), ("", ""))[1] if pid is not None and pid == pid else ""


def ledger(
    stats: Stats,
    kind: str,
    org: str,
    q: Query,
    *,
    reveal_why: str | None = None,
    actor=None,
    prepared_by: str = "",
    scope=None,
    today: dt.date | None = None,
    where: dict[str, str] | None = None,
) -> Table:
    """A ledger of ``org``'s subtree for the query's period. ``where`` keeps the rows whose column
    (by key, e.g. ``order``, or Chinese header, e.g. ``孩次``) shows the given value."""
    if kind not in KINDS:
        raise UserError(f"没有台账 {kind}（可选：{'、'.join(KINDS)}）", f"no ledger {kind} (one of: {', '.join(KINDS)})")
    stats.check_scope(org, scope)  # before any work
    counter = stats.counter(q)
    u = counter.u
    root = stats.positions(u, org, None)[0]
    inside = np.zeros(len(u.views) + 1, dtype=bool)
    inside[u.subtree(org)] = True
    reveal = bool(reveal_why and reveal_why.strip())
    name_of = {i: v.name for i, v in enumerate(u.views)}
    with stats.db.read() as s:
        cols, rows, people = _BUILD[kind](counter, inside, name_of, s, reveal, q)
    for name, value in (where or {}).items():
        k = next((i for i, c in enumerate(cols) if name in (c.key, c.header[0], c.header_en[0])), None)
        if k is None:
            raise UserError(
                f"台账 {kind} 没有“{name}”一栏（可选：{'、'.join(c.header[0] for c in cols)}）",
                f"the {kind} ledger has no column {name!r} (one of: {', '.join(c.key for c in cols)})",
            )
        rows = [r for r in rows if str(r[k]) == str(value)]
    if reveal and people.revealed:
        if actor is None:
            raise UserError("显示完整身份证号需要操作人", "revealing ID numbers needs an acting user")
        with stats.db.write(actor, reason=reveal_why) as s:
            from renkou.storage.db import changeset_of

            cs = changeset_of(s)
            s.add(
                AuditEntry(
                    changeset_id=cs.id,
                    action="reveal",
                    table_name=f"ledger:{kind}",
                    row_id=0,
                    person_id=None,
                    before=None,
                    after={"field": "id_number", "org": org, "period": q.period.id, "rows": len(rows)},
                    reason=reveal_why.strip(),
                )
            )
    zh, en = KINDS[kind]
    unit = u.views[root]
    numbered = [Row((k + 1, *r)) for k, r in enumerate(rows)]
    p = q.period
    return Table(
        key=kind,
        title=zh,
        title_en=en,
        unit_code=unit.code,
        unit_name=unit.name,
        period_label=p.label,
        period_label_en=p.label_en,
        prepared_by=prepared_by,
        prepared_on=today or dt.date.today(),
        columns=(_c("no", "序号", "No.", "count"), *cols),
        rows=tuple(numbered),
        notes=() if reveal else ("身份证号已脱敏。",),
        notes_en=() if reveal else ("ID numbers are masked.",),
        meta={
            "period": {"id": p.id, "start": p.start.isoformat(), "end": p.end.isoformat()},
            "basis": q.basis,
            "units_as_of": q.units_as_of.isoformat(),
            "data_as_of_change": counter.m.seq,
            "revealed": reveal,
        },
    )


def _sel(counter: Counter, frame: str, inside: np.ndarray, col: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a frame in the period whose base unit is inside the subtree, and their base units."""
    m = counter.m
    rows = np.flatnonzero(counter._in_period(frame))
    base = counter.u.base(m.array(frame, col or counter.col)[rows])
    ok = inside[base]
    return rows[ok], base[ok]


def _frame_rows(counter: Counter, frame: str, rows: np.ndarray, cols: list[str]) -> list[dict]:
    df = getattr(counter.m.derived, frame)[rows.tolist()].select(cols)
    return df.to_dicts()


def _births(counter, inside, name_of, s, reveal, q):
    rows, base = _sel(counter, "births", inside)
    order_col = "order_mother" if counter.rule == "mother" else "order_couple"
    recs = _frame_rows(counter, "births", rows, ["date", "child", "male", "mother", "father", order_col, "mother_age"])
    people = _People(s, [r[k] for r in recs for k in ("child", "mother", "father")], reveal)
    out = [
        (
            name_of[b],
            people.name(r["child"]),
            SEX[r["male"]],
            date_of(r["date"]),
            r[order_col],
            people.name(r["mother"]),
            people.key(r["mother"]),
            r["mother_age"],
            people.name(r["father"]),
        )
        for r, b in zip(recs, base, strict=True)
    ]
    out.sort(key=lambda x: (x[3], x[0], x[1]))
    cols = [
        _c("unit", "村居", "Village"),
        _c("name", "婴儿姓名", "Child"),
        _c("sex", "性别", "Sex"),
        _c("date", "出生日期", "Born", "date"),
        _c("order", "孩次", "Birth order", "count"),
        _c("mother", "母亲姓名", "Mother"),
        _c("mother_id", "母亲身份证号", "Mother's ID number"),
        _c("mother_age", "母亲年龄", "Mother's age", "count"),
        _c("father", "父亲姓名", "Father"),
    ]
    return cols, out, people


def _deaths(counter, inside, name_of, s, reveal, q):
    rows, base = _sel(counter, "deaths", inside)
    recs = _frame_rows(counter, "deaths", rows, ["date", "person", "male", "birth"])
    people = _People(s, [r["person"] for r in recs], reveal)
    out = [
        (
            name_of[b],
            people.name(r["person"]),
            SEX[r["male"]],
            people.key(r["person"]),
            date_of(r["birth"]),
            date_of(r["date"]),
            int(ages(np.array([r["birth"]]), np.array([r["date"]]))[0]),
        )
        for r, b in zip(recs, base, strict=True)
    ]
    out.sort(key=lambda x: (x[5], x[0], x[1]))
    cols = [
        _c("unit", "村居", "Village"),
        _c("name", "姓名", "Name"),
        _c("sex", "性别", "Sex"),
        _c("id", "身份证号", "ID number"),
        _c("born", "出生日期", "Born", "date"),
        _c("died", "死亡日期", "Died", "date"),
        _c("age", "死亡年龄", "Age at death", "count"),
    ]
    return cols, out, people


def _marriages(counter, inside, name_of, s, reveal, q):
    rows, base = _sel(counter, "unions", inside)
    recs = _frame_rows(counter, "unions", rows, ["date", "kind", "woman", "man"])
    people = _People(s, [r[k] for r in recs for k in ("woman", "man")], reveal)
    out = [
        (
            name_of[b],
            "结婚" if r["kind"] == "marriage" else "离婚",
            date_of(r["date"]),
            people.name(r["woman"]),
            people.key(r["woman"]),
            people.name(r["man"]),
            people.key(r["man"]),
        )
        for r, b in zip(recs, base, strict=True)
    ]
    out.sort(key=lambda x: (x[2], x[0], x[3]))
    cols = [
        _c("unit", "村居", "Village"),
        _c("kind", "类别", "Kind"),
        _c("date", "登记日期", "Date", "date"),
        _c("woman", "女方姓名", "Wife"),
        _c("woman_id", "女方身份证号", "Wife's ID number"),
        _c("man", "男方姓名", "Husband"),
        _c("man_id", "男方身份证号", "Husband's ID number"),
    ]
    return cols, out, people


def _moves(counter, inside, name_of, s, reveal, q):
    m = counter.m
    rows = np.flatnonzero(counter._in_period("moves"))
    f = counter.u.base(m.array("moves", f"{counter.col}_from")[rows])
    t = counter.u.base(m.array("moves", f"{counter.col}_to")[rows])
    moved = f != t
    recs = _frame_rows(counter, "moves", rows, ["date", "person", "male"])
    people = _People(s, [r["person"] for r, mv in zip(recs, moved, strict=True) if mv], reveal)
    place = lambda b: "县外" if b < 0 else name_of[b]  # noqa: E731
    out = []
    for r, a, b, mv in zip(recs, f, t, moved, strict=True):
        if not mv:
            continue
        for direction, here in (("迁出", a), ("迁入", b)):
            if here >= 0 and inside[here]:
                out.append(
                    (
                        name_of[here],
                        direction,
                        date_of(r["date"]),
                        people.name(r["person"]),
                        SEX[r["male"]],
                        people.key(r["person"]),
                        place(a),
                        place(b),
                    )
                )
    out.sort(key=lambda x: (x[2], x[0], x[1], x[3]))
    cols = [
        _c("unit", "村居", "Village"),
        _c("direction", "方向", "Direction"),
        _c("date", "日期", "Date", "date"),
        _c("name", "姓名", "Name"),
        _c("sex", "性别", "Sex"),
        _c("id", "身份证号", "ID number"),
        _c("from", "迁出地", "From"),
        _c("to", "迁入地", "To"),
    ]
    return cols, out, people


def _live_at_end(counter: Counter, inside: np.ndarray):
    """(person, base unit, male, age, married) of the people living in the subtree at the period end."""
    d = counter.b
    parts = counter.m.live_spells(d)
    person = np.concatenate([p["person"] for p in parts])
    base = counter.u.base(np.concatenate([p[counter.col] for p in parts]))
    male = np.concatenate([p["male"] for p in parts])
    age = np.minimum(np.concatenate([age_from(p["by"], p["bmd"], d) for p in parts]), MAX_AGE)
    ok = inside[base]
    married = counter._married_on(d, person[ok])
    return person[ok], base[ok], male[ok], age[ok], married


def _wcba(counter, inside, name_of, s, reveal, q):
    person, base, male, age, married = _live_at_end(counter, inside)
    w = (male == 0) & (age >= 15) & (age <= 49)
    person, base, age, married = person[w], base[w], age[w], married[w]
    m = counter.m
    d = counter.b
    ms, me, mp, mo = (m.array("married", c) for c in ("start", "end", "person", "partner"))
    now = (ms <= d) & (me > d)
    spouse = dict(zip(mp[now].tolist(), mo[now].tolist(), strict=True))
    bm, bd, bc = m.array("births", "mother"), m.array("births", "date"), m.array("births", "child")
    mine = np.isin(bm, person) & (bd <= d)
    kids: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for mo_, cd, ch in zip(bm[mine].tolist(), bd[mine].tolist(), bc[mine].tolist(), strict=True):
        kids[int(mo_)].append((cd, ch))
    people = _People(s, [*person.tolist(), *spouse.values(), *(c for v in kids.values() for _, c in v)], reveal)
    out = []
    for p, b, a, mar in zip(person.tolist(), base.tolist(), age.tolist(), married.tolist(), strict=True):
        ch = sorted(kids.get(p, []))
        sp = spouse.get(p)
        out.append(
            (
                name_of[b],
                people.name(p),
                people.key(p),
                a,
                "有配偶" if mar else "无配偶",
                people.name(sp) if sp else "",
                people.key(sp) if sp else "",
                len(ch),
                "、".join(f"{people.name(c)}({date_of(cd).year})" for cd, c in ch),
            )
        )
    out.sort(key=lambda x: (x[0], x[1]))
    cols = [
        _c("unit", "村居", "Village"),
        _c("name", "姓名", "Name"),
        _c("id", "身份证号", "ID number"),
        _c("age", "年龄", "Age", "count"),
        _c("marital", "婚姻状况", "Marital status"),
        _c("spouse", "配偶姓名", "Husband"),
        _c("spouse_id", "配偶身份证号", "Husband's ID number"),
        _c("children", "生育子女数", "Children born", "count"),
        _c("kids", "子女（出生年）", "Children (year of birth)"),
    ]
    return cols, out, people


def _households(counter, inside, name_of, s, reveal, q):
    """Households with living members at the period end whose head (or first member) lives in the subtree."""
    person, base, *_ = _live_at_end(counter, inside)
    unit_of = dict(zip(person.tolist(), base.tolist(), strict=True))
    lt = latest("household", q.period.end)
    members: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    ids = list(unit_of)
    for k in range(0, len(ids), 900):
        qq = (
            select(lt.c.household_id, lt.c.person_id, lt.c.relation)
            .join(Person, Person.id == lt.c.person_id)
            .where(lt.c.person_id.in_(ids[k : k + 900]), alive(q.period.end), lt.c.household_id.is_not(None))
        )
        for hh, pid, rel in s.execute(qq):
            members[hh].append((pid, rel))
    numbers = {}
    hh_ids = sorted(members)
    for k in range(0, len(hh_ids), 900):
        numbers.update(
            {
                i: (n, a)
                for i, n, a in s.execute(
                    select(Household.id, Household.number, Household.address).where(Household.id.in_(hh_ids[k : k + 900]))
                )
            }
        )
    people = _People(s, [pid for v in members.values() for pid, _ in v], reveal)
    out = []
    for hh, mem in members.items():
        head = next((pid for pid, rel in mem if rel == "head"), mem[0][0])
        number, address = numbers.get(hh, ("", ""))
        out.append(
            (
                name_of[unit_of[head]],
                number,
                address,
                people.name(head),
                people.key(head),
                len(mem),
                "、".join(people.name(pid) for pid, rel in sorted(mem, key=lambda x: x[1] != "head")),
            )
        )
    out.sort(key=lambda x: (x[0], x[1]))
    cols = [
        _c("unit", "村居", "Village"),
        _c("number", "户编号", "Household no."),
        _c("address", "住址", "Address"),
        _c("head", "户主姓名", "Head"),
        _c("head_id", "户主身份证号", "Head's ID number"),
        _c("members", "人数", "Members", "count"),
        _c("names", "成员", "Members' names"),
    ]
    return cols, out, people


_BUILD = {"births": _births, "deaths": _deaths, "marriages": _marriages, "moves": _moves, "households": _households, "wcba": _wcba}

__all__ = ["KINDS", "ledger"]
