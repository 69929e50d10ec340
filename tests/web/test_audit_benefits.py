"""The audit viewer shows the benefit cycle's rows (applications, steps, recipients, payments) like any
other creation: to a county auditor all of them, to a township auditor those of its area's people and
villages only — never a step, batch or bank file that names no one of its area."""

from __future__ import annotations

import re

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


def test_every_audited_table_and_column_has_a_name_and_every_status_its_workflow():
    """The audit viewer's catalogue (renkou.web.admin.audit_names) names every table whose rows are tracked
    and every column of those tables, in Chinese and English; a table with a status names its workflow,
    and the workflow names each status the database's CHECK constraint allows."""
    import re

    from sqlalchemy import CheckConstraint

    from renkou.storage import schema
    from renkou.web.admin import audit_names

    tracked = [m.class_ for m in schema.Base.registry.mappers if issubclass(m.class_, schema.Tracked)]
    assert len(tracked) >= 20
    for model in tracked:
        t = model.__tablename__
        zh, en = audit_names.TABLES[t]
        assert re.search(r"[\u4e00-\u9fff]", zh) and en and audit_names.table_name(t, "zh") == zh, t
        for col in model.__table__.columns:
            named = audit_names.field_name(t, col.name, "zh")
            assert named != col.name and re.search(r"[\u4e00-\u9fff]", named), (t, col.name)
            assert audit_names.field_name(t, col.name, "en") != "" and not re.search(
                r"[\u4e00-\u9fff]", audit_names.field_name(t, col.name, "en")
            )
        if "status" in model.__table__.columns:
            wf = audit_names.STATUS_WORKFLOWS[t]
            checks = [c for c in model.__table__.constraints if isinstance(c, CheckConstraint) and "status IN" in str(c.sqltext)]
            assert checks and set(re.findall(r"'([a-z_]+)'", str(checks[0].sqltext))) == set(wf.statuses), t
            for status, (zh, en) in wf.statuses.items():
                assert audit_names.status_name(t, status, "zh") == zh and audit_names.status_name(t, status, "en") == en
    assert set(audit_names.STATUS_WORKFLOWS) <= {m.__tablename__ for m in tracked}
    assert audit_names.status_name("benefit_application", "posting", "zh") == "公示中"
    assert audit_names.status_name("person", "whatever", "zh") == "whatever"  # an unknown one as it is


def test_status_changes_of_the_cycle_read_in_chinese(db):
    """The updates of an application's status show each status by its Chinese name, and the field by its name."""
    desk = Desk(db)
    family_of_reward(desk.b, "li")
    desk.recipient("li_f")
    with db.read() as s:
        scope = Scope.for_unit(s, s.scalar(select(OrgUnit.id).where(OrgUnit.code == COUNTY)))
        rows, _ = admin_audit.page(s, Filters({"action": "update"}, "zh"), scope, size=1000)
        shown = admin_audit.details(s, [r for r in rows if r.tbl == "benefit_application"], "zh", scope=scope)
    changes = [c for r in shown for c in r["change"] if c["key"] == "status"]
    assert changes and all(c["field"] == "状态" for c in changes)
    assert {c["after"] for c in changes} >= {"待公示", "公示中", "已确认"}
    assert all(re.search(r"[\u4e00-\u9fff]", c["before"] + c["after"]) and "_" not in c["before"] + c["after"] for c in changes)
    assert all(r["table_name"] == "扶助申请" for r in shown)
