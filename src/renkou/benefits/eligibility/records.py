"""The record behind each condition of a decision, read from a row of the family-facts table.

Nothing here decides anything: the status comes from renkou.benefits.eligibility.conditions. This only names the
registry records a condition was decided from (the death event, the disability certificate, the
birth or adoption of each child, the event that set the hukou...) and the fact as found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from renkou.benefits.eligibility.decision import Record, When, in_language
from renkou.benefits.rules.programmes import Condition
from renkou.core.dates import age, date_of, day
from renkou.core.vocab import HUKOU_TYPES

Row = dict[str, Any]


def _d(n: int | None):
    return None if n is None else date_of(n)


def _age(birth: int | None, w: When) -> int | None:
    if birth is None:
        return None
    return age(date_of(birth), w.on)


def _hukou(r: Row, p: str, unit: Callable) -> tuple[tuple[Record, ...], str]:
    if r.get(f"{p}hukou_event") is None:
        return (), "无户籍登记记录 / no hukou record"
    code, name = unit(r.get(f"{p}h"))
    where = f"{name or ''} {code}".strip() if code else ""
    zh, en = (where, where) if code else ("县外", "outside the county")
    rec = Record(r[f"{p}hukou_kind"], r[f"{p}hukou_event"], _d(r[f"{p}hukou_date"]), note=zh if code else f"{zh} / {en}")
    return (rec,), f"户籍地：{zh} / hukou: {en}"


def _htype(r: Row, p: str) -> tuple[tuple[Record, ...], str]:
    ht = r.get(f"{p}htype")
    cls_zh, cls_en = {1: ("城镇单位", "urban unit"), 2: ("农村单位", "rural unit")}.get(r.get("unit_class") if not p else None, ("", ""))
    if ht is None:
        return (), "户口性质未登记 / hukou type not recorded"
    zh, en = HUKOU_TYPES.get(ht, (ht, ht))
    rec = Record(r[f"{p}htype_kind"], r[f"{p}htype_event"], _d(r[f"{p}htype_date"]), note=f"{zh} / {en}")
    unit_class = cls_zh and ht == "resident"
    return (rec,), f"户口性质：{zh}" + (f"；{cls_zh}" if unit_class else "") + f" / hukou type: {en}" + (
        f"; {cls_en}" if unit_class else ""
    )


def _child(link: dict) -> Record:
    sex = ("男", "M") if link["male"] == 1 else ("女", "F")
    state = ("已死亡", "died") if link["dead"] else ("在世", "living")
    note = f"{sex[0]}，{state[0]} / {sex[1]}, {state[1]}"
    return Record("adoption" if link["adopted"] else "birth", link["event"], _d(link["date"]), link["child"], note)


def _children(r: Row) -> tuple[Record, ...]:
    """The records of every child of the row (made once per row: several conditions show them)."""
    if "_children" not in r:
        r["_children"] = tuple(_child(x) for x in r.get("links") or ())
    return r["_children"]


def records_for(c: Condition, r: Row, w: When, unit: Callable, attested: str | None = None) -> tuple[tuple[Record, ...], str]:
    """(records, the fact as found) for condition ``c`` of row ``r``: the fact and the records' notes in the
    form "中文 / English" (``decision.in_language`` picks one)."""
    t, p = c.test, c.params
    if t == "attestation":
        if attested:
            return (Record("attestation", note=attested),), f"已声明：{attested} / declared: {attested}"
        return (), "申请时由本人声明，系统不推断 / declared at application, never inferred"
    if t == "alive":
        if r.get("death") is not None and r["death"] <= _day(w):
            return (Record("death", r["death_event"], _d(r["death"]), r["person"]),), f"死亡 {_d(r['death'])} / died {_d(r['death'])}"
        return (), "无死亡登记 / no death recorded"
    if t in ("born_on_or_after", "age_at_least", "months_after_birth"):
        rec = Record("person", None, _d(r["birth"]), r["person"], "出生 / born")
        if t == "months_after_birth":
            b = _d(r["birth"])
            f = b.year * 12 + b.month  # the month after the birth month (as a month index)
            n = f - 1 + p["months"]
            months = f"{f // 12}-{f % 12 + 1:02d}–{n // 12}-{n % 12 + 1:02d}"
            return (rec,), f"补贴月份 {months} / months {months}"
        if t == "born_on_or_after":
            return (rec,), f"出生 {_d(r['birth'])} / born {_d(r['birth'])}"
        return (rec,), f"{w.on} 年龄 {_age(r['birth'], w)} / age {_age(r['birth'], w)} on {w.on}"
    if t == "wife_age_at_least":
        recs = [Record("person", None, _d(r["wife_birth"]), r["wife"], "出生 / born")]
        if r.get("spouse") is not None:
            recs.append(Record("marriage", r.get("marriage_event"), _d(r.get("marriage_date")), r["spouse"]))
            who = ("女方", "the wife")
        else:
            who = ("单亲，本人", "single parent")
        n = _age(r["wife_birth"], w)
        return tuple(recs), f"{who[0]}：{w.on} 年龄 {n} / {who[1]}: age {n} on {w.on}"
    if t == "hukou_in_county":
        if p["who"] == "spouse":
            if r.get("spouse") is None:
                return (), "无配偶 / no spouse"
            return _hukou(r, "s_", unit)
        return _hukou(r, "", unit)
    if t == "hukou_rural":
        if p["who"] == "spouse":
            if r.get("spouse") is None:
                return (), "无配偶 / no spouse"
            return _htype(r, "s_")
        return _htype(r, "")
    if t in ("is_parent", "children"):
        ever, living, sons, daughters, died = (r[k] for k in ("ever", "living", "sons", "daughters", "died"))
        value = (
            f"曾有 {ever}，存活 {living}（子 {sons}，女 {daughters}），死亡 {died}"
            f" / ever {ever}, living {living} (sons {sons}, daughters {daughters}), died {died}"
        )
        return _children(r), value
    if t == "only_child_died_or_disabled":
        if r.get("ever") != 1:
            return _children(r), f"子女数 {r.get('ever')} / children {r.get('ever')}"
        recs = []
        if r.get("child_death") is not None and r["child_death"] <= _day(w):
            recs.append(Record("death", r["child_death_event"], _d(r["child_death"]), r["child"]))
        if r.get("child_grade") is not None:
            recs.append(
                Record(
                    "disability",
                    r["child_grade_event"],
                    _d(r["child_grade_date"]),
                    r["child"],
                    f"残疾等级 {r['child_grade']} / grade {r['child_grade']}",
                )
            )
        said = {"death": ("子女死亡", "the child died"), "disability": ("子女持残疾证", "the child's disability certificate")}

        def told(lang: int) -> str:
            return ("；" if lang == 0 else "; ").join(
                f"{said[x.kind][lang]} {x.date}" + (f" {in_language(x.note, 'zh' if lang == 0 else 'en')}" if x.note else "") for x in recs
            )

        value = f"{told(0)} / {told(1)}" if recs else "子女在世且无残疾证 / the child is living, no disability certificate"
        return tuple(recs), value
    if t == "only_child_under":
        if r.get("ever") != 1:
            return (), f"子女数 {r.get('ever')} / children {r.get('ever')}"
        rec = Record("adoption" if r.get("child_adopted") else "birth", r.get("child_event"), _d(r.get("child_birth")), r.get("child"))
        n = _age(r.get("child_birth"), w)
        return (rec,), f"子女 {w.on} 年龄 {n} / the child's age {n} on {w.on}"
    return (), ""


def _day(w: When) -> int:
    return day(w.on)
