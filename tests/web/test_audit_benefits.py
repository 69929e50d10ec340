"""The audit viewer shows the benefit cycle's rows (applications, steps, recipients, payments) like any
other creation: to a county auditor all of them, to a township auditor those of its area's people and
villages only — never a step, batch or bank file that names no one of its area."""

from __future__ import annotations

from sqlalchemy import select

from renkou.auth.scope import Scope
from renkou.storage.schema import OrgUnit
from renkou.web.admin import audit as admin_audit
from renkou.web.admin.audit import Filters
from tests.benefits.cycle_kit import COMMUNITY, COUNTY, TOWN, TOWNSHIP, Desk, family_of_reward


def _tables(db, code: str, **filters) -> dict[str, int]:
    with db.read() as s:
        scope = Scope.for_unit(s, s.scalar(select(OrgUnit.id).where(OrgUnit.code == code)))
        rows, _ = admin_audit.page(s, Filters({k: str(v) for k, v in filters.items()}, "zh"), scope)
    out: dict[str, int] = {}
    for r in rows:
        if r.action == "create":  # (updates of a row's status are entries of their own)
            out[r.tbl] = out.get(r.tbl, 0) + r.n
    return out


def test_benefit_rows_are_in_the_audit_trail_scoped_like_the_rest(db):
    desk = Desk(db)
    family_of_reward(desk.b, "li")  # in TOWNSHIP's village
    family_of_reward(desk.b, "far", COMMUNITY)  # in TOWN: another township
    mine, far = desk.recipient("li_f"), desk.recipient("far_f", worker="she")
    county = _tables(db, COUNTY)
    assert county["benefit_application"] == 2 and county["benefit_recipient"] == 2 and county["benefit_step"] >= 8
    assert county["benefit_posting"] == 2
    township = _tables(db, TOWNSHIP)
    assert township["benefit_application"] == 1 and township["benefit_recipient"] == 1 and township["benefit_posting"] == 1
    assert "benefit_step" not in township  # names no person or unit of its own
    assert _tables(db, TOWN)["benefit_application"] == 1
    by_person = _tables(db, COUNTY, person=far.person_id)
    assert by_person.get("benefit_application") == 1 and by_person.get("benefit_recipient") == 1
    assert "benefit_application" not in _tables(db, TOWNSHIP, person=far.person_id)
    assert mine.person_id != far.person_id
