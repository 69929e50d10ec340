"""The annual cycle, on hand-built families with the real eligibility service: application → village
review → posting → township review → county confirmation; each step refused when skipped or
repeated; objections; role and scope enforced; every step dated and audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from renkou.benefits.cycle import applications, objections, posting
from renkou.benefits.eligibility import service
from renkou.config import Settings
from renkou.errors import NotFound, UserError, ValidationFailed
from renkou.storage.schema import AuditEntry, BenefitApplication, BenefitConfirmation, BenefitRecipient, BenefitStep, Changeset, Person
from tests.benefits.cycle_kit import COMMUNITY, SETTINGS, TODAY, VILLAGE, VILLAGE2, Desk, family_of_reward

D = dt.date


@pytest.fixture
def desk(db):
    d = Desk(db)
    family_of_reward(d.b, "li")
    family_of_reward(d.b, "far", COMMUNITY)  # the town's community: another township
    family_of_reward(d.b, "two", VILLAGE2)  # another village of the same township
    d.b.couple("sd", D(1954, 1, 1), D(1956, 1, 1), D(1977, 1, 1))  # a son and a daughter: no reward
    d.b.child("sd_s", "M", D(1979, 1, 1), mother="sd_m", father="sd_f")
    d.b.child("sd_d", "F", D(1982, 1, 1), mother="sd_m", father="sd_f")
    return d


def status(desk, number):
    with desk.db.read() as s:
        return s.get(BenefitApplication, number).status


def review(desk, n, who="cun", on=D(2025, 3, 5)):
    desk.step(who, applications.village_review, n, on=on, today=TODAY)


def post(desk, who="cun", village=VILLAGE, starts=D(2025, 3, 10), settings=SETTINGS):
    return desk.step(who, posting.post, settings, programme="reward", year=2025, village=village, starts_on=starts, today=TODAY)


def test_the_whole_cycle_in_order_makes_a_recipient_with_every_step_dated_and_audited(desk):
    n = desk.apply("cun", "li_f")
    assert status(desk, n) == "applied"
    desk.through_posting(n)
    desk.step("xiang", applications.township_review, n, on=D(2025, 3, 20), today=TODAY)
    rec = desk.step("xian", applications.confirm, desk.eligibility, n, on=D(2025, 4, 1), today=TODAY)
    assert status(desk, n) == "confirmed"
    with desk.db.read() as s:
        rows = list(s.scalars(select(BenefitStep).where(BenefitStep.application_id == n).order_by(BenefitStep.id)))
        got = [(st.step, st.done_on, st.account, s.get(Changeset, st.created_cs).actor) for st in rows]
        r = s.get(BenefitRecipient, rec.id)
        conf = s.scalars(select(BenefitConfirmation).where(BenefitConfirmation.recipient_id == r.id)).all()
        assert service.current_recipients(s, "reward", 2025) == {desk.id("li_f")}
        assert service.current_recipients(s, "reward", 2026) == {desk.id("li_f")}  # until re-confirmed or exited
        assert service.current_recipients(s, "reward", 2024) == set()
        assert service.current_recipients(s, "special", 2025) == set()
        changes = [
            (e.before["status"], e.after["status"], s.get(Changeset, e.changeset_id).actor)
            for e in s.scalars(
                select(AuditEntry).where(AuditEntry.table_name == "benefit_application", AuditEntry.row_id == n).order_by(AuditEntry.id)
            )
            if "status" in (e.after or {})
        ]
    assert got == [
        ("apply", D(2025, 3, 1), "cun", "cun"),
        ("village_review", D(2025, 3, 5), "cun", "cun"),
        ("post", D(2025, 3, 10), "cun", "cun"),
        ("post_end", D(2025, 3, 17), "cun", "cun"),
        ("township_review", D(2025, 3, 20), "xiang", "xiang"),
        ("confirm", D(2025, 4, 1), "xian", "xian"),
    ]
    assert (r.person_id, r.programme, r.since, r.ended_on, r.attested) == (
        desk.id("li_f"),
        "reward",
        D(2025, 4, 1),
        None,
        {"declaration": "2025-03-01"},
    )
    assert [(c.year, c.how, c.account) for c in conf] == [(2025, "application", "xian")]
    # each status change is an update: before/after in the audit trail, by the officer who made it
    assert changes == [
        ("applied", "village_reviewed", "cun"),
        ("village_reviewed", "posting", "cun"),
        ("posting", "posted", "cun"),
        ("posted", "township_reviewed", "xiang"),
        ("township_reviewed", "confirmed", "xian"),
    ]


def test_the_eligibility_service_s_candidates_leave_out_recipients(desk):
    assert desk.id("li_f") in {d.person_id for d in desk.eligibility.candidates("reward", 2025, VILLAGE)}
    desk.recipient("li_f")
    assert desk.id("li_f") not in {d.person_id for d in desk.eligibility.candidates("reward", 2025, VILLAGE)}
    assert desk.id("li_m") in {d.person_id for d in desk.eligibility.candidates("reward", 2025, VILLAGE)}


SKIPS = {  # the stage reached, then a step out of turn
    "post before the village review": ("applied", "post"),
    "township review before the posting": ("village_reviewed", "township_review"),
    "confirm before the posting": ("village_reviewed", "confirm"),
    "township review while posted": ("posting", "township_review"),
    "confirm before the township": ("posted", "confirm"),
}


@pytest.mark.parametrize("case", SKIPS)
def test_a_step_cannot_be_skipped(desk, case):
    stage, call = SKIPS[case]
    n = desk.apply("cun", "li_f")
    if stage != "applied":
        review(desk, n)
    if stage in ("posting", "posted"):
        p = post(desk)
        if stage == "posted":
            desk.step("cun", posting.end_posting, p.id, on=D(2025, 3, 17), today=TODAY)
    calls = {
        "post": lambda: post(desk),
        "township_review": lambda: desk.step("xiang", applications.township_review, n, on=D(2025, 3, 20), today=TODAY),
        "confirm": lambda: desk.step("xian", applications.confirm, desk.eligibility, n, on=D(2025, 4, 1), today=TODAY),
    }
    with pytest.raises(UserError) as e:
        calls[call]()
    assert e.value.code == "step_refused" or "没有已通过村级审核" in e.value.zh
    assert status(desk, n) == stage
    with desk.db.read() as s:
        assert s.scalar(select(BenefitRecipient.id)) is None


def test_each_step_refused_when_repeated(desk):
    n = desk.apply("cun", "li_f")
    review(desk, n)
    with pytest.raises(UserError, match="村级审核") as e:
        review(desk, n, on=D(2025, 3, 6))
    assert e.value.code == "step_refused"
    p = post(desk)
    with pytest.raises(UserError, match="没有已通过村级审核"):  # nothing left to post
        post(desk, starts=D(2025, 3, 11))
    desk.step("cun", posting.end_posting, p.id, on=D(2025, 3, 17), today=TODAY)
    with pytest.raises(UserError, match="已于 2025-03-17 结束"):
        desk.step("cun", posting.end_posting, p.id, on=D(2025, 3, 18), today=TODAY)
    desk.step("xiang", applications.township_review, n, on=D(2025, 3, 20), today=TODAY)
    with pytest.raises(UserError, match="乡镇审核"):
        desk.step("xiang", applications.township_review, n, on=D(2025, 3, 21), today=TODAY)
    desk.step("xian", applications.confirm, desk.eligibility, n, on=D(2025, 4, 1), today=TODAY)
    with pytest.raises(UserError, match="已经县级确认"):
        desk.step("xian2", applications.confirm, desk.eligibility, n, on=D(2025, 4, 2), today=TODAY)
    with desk.db.read() as s:
        assert len(s.scalars(select(BenefitRecipient)).all()) == 1
        assert [x.step for x in applications.steps(s, s.get(BenefitApplication, n))].count("confirm") == 1


def test_the_database_itself_refuses_a_repeated_step_a_second_recipient_and_rewriting(desk):
    n = desk.apply("cun", "li_f")
    with desk.db.read() as s:
        row = s.scalar(select(BenefitStep).where(BenefitStep.application_id == n))
        cols = {c: getattr(row, c) for c in ("step", "done_on", "account", "note", "seq", "created_cs")}
    with pytest.raises(Exception, match="(?i)unique"):
        with desk.db.engine.begin() as c:
            c.execute(BenefitStep.__table__.insert().values(application_id=n, **cols))
    desk.through_posting(n)
    desk.step("xiang", applications.township_review, n, on=D(2025, 3, 20), today=TODAY)
    rec = desk.step("xian", applications.confirm, desk.eligibility, n, on=D(2025, 4, 1), today=TODAY)
    with desk.db.read() as s:
        r = s.get(BenefitRecipient, rec.id)
        values = {c.name: getattr(r, c.key) for c in BenefitRecipient.__table__.columns if c.name != "id"}
    with pytest.raises(Exception, match="(?i)unique"):  # a second open record of the same person and programme
        with desk.db.engine.begin() as c:
            c.execute(BenefitRecipient.__table__.insert().values(**values))
    with desk.db.engine.begin() as c:  # a closed one is history, not a second recipient
        c.execute(BenefitRecipient.__table__.insert().values(**(values | {"ended_on": D(2024, 12, 31)})))
    for sql in (
        "UPDATE benefit_step SET done_on = done_on",
        "DELETE FROM benefit_step",
        "DELETE FROM benefit_application",
        "DELETE FROM benefit_recipient",
    ):
        with pytest.raises(Exception, match="not allowed"):
            with desk.db.engine.begin() as c:
                c.execute(text(sql))


def test_posting_cannot_end_before_its_days_nor_on_a_day_to_come(desk):
    n = desk.apply("cun", "li_f")
    review(desk, n)
    p = post(desk)
    assert p.days == 7
    with pytest.raises(UserError, match="最早于 2025-03-17 结束") as e:
        desk.step("cun", posting.end_posting, p.id, on=D(2025, 3, 16), today=TODAY)
    assert "at the earliest" in e.value.en
    with pytest.raises(ValidationFailed):  # that day has not come yet
        desk.step("cun", posting.end_posting, p.id, on=D(2025, 3, 17), today=D(2025, 3, 16))
    assert status(desk, n) == "posting"
    desk.step("cun", posting.end_posting, p.id, on=D(2025, 3, 17), today=TODAY)
    assert status(desk, n) == "posted"


def test_the_posting_days_come_from_the_setting(desk, monkeypatch):
    monkeypatch.setenv("RENKOU_BENEFIT_POSTING_DAYS", "10")
    n = desk.apply("cun", "li_f")
    review(desk, n)
    p = post(desk, settings=Settings.from_env())
    assert p.days == 10
    with pytest.raises(UserError, match="2025-03-20"):
        desk.step("cun", posting.end_posting, p.id, on=D(2025, 3, 17), today=TODAY)
    monkeypatch.setenv("RENKOU_BENEFIT_POSTING_DAYS", "0")
    with pytest.raises(UserError, match="RENKOU_BENEFIT_POSTING_DAYS"):
        Settings.from_env()


def test_an_open_objection_blocks_the_township_and_an_upheld_one_rejects(desk):
    a, b = desk.apply("cun", "li_f"), desk.apply("cun", "li_m")
    for n in (a, b):
        review(desk, n)
    p = post(desk)
    oa = desk.step("cun", objections.raise_objection, a, raised_on=D(2025, 3, 12), content="其子女实为三人", objector="村民甲", today=TODAY)
    ob = desk.step("xiang", objections.raise_objection, b, raised_on=D(2025, 3, 13), content="户籍不在本村", today=TODAY)
    with pytest.raises(UserError) as e:  # the village worker records, the township resolves
        desk.step("cun", objections.resolve, oa.id, outcome="dismissed", resolution="经核实无误", on=D(2025, 3, 14), today=TODAY)
    assert e.value.code == "forbidden"
    desk.step("cun", posting.end_posting, p.id, on=D(2025, 3, 17), today=TODAY)
    with pytest.raises(UserError, match="异议尚未处理") as e:
        desk.step("xiang", applications.township_review, a, on=D(2025, 3, 20), today=TODAY)
    assert "unresolved objection" in e.value.en
    desk.step("xiang", objections.resolve, oa.id, outcome="dismissed", resolution="经核实为两个女儿", on=D(2025, 3, 18), today=TODAY)
    desk.step("xiang", objections.resolve, ob.id, outcome="upheld", resolution="户籍已迁出", on=D(2025, 3, 18), today=TODAY)
    with pytest.raises(UserError, match="已于"):
        desk.step("xiang", objections.resolve, ob.id, outcome="dismissed", resolution="改判", on=D(2025, 3, 19), today=TODAY)
    desk.step("xiang", applications.township_review, a, on=D(2025, 3, 20), today=TODAY)
    assert (status(desk, a), status(desk, b)) == ("township_reviewed", "rejected")
    with pytest.raises(UserError, match="不予通过"):
        desk.step("xiang", applications.township_review, b, on=D(2025, 3, 20), today=TODAY)
    with desk.db.read() as s:
        rej = s.scalar(select(BenefitStep).where(BenefitStep.application_id == b, BenefitStep.step == "reject"))
        assert (rej.account, rej.done_on) == ("xiang", D(2025, 3, 18)) and "户籍已迁出" in rej.note
        entry = s.scalar(select(AuditEntry).where(AuditEntry.table_name == "benefit_objection", AuditEntry.row_id == ob.id))
        assert entry.after["outcome"] == "upheld" and entry.reason == "户籍已迁出"
    # a rejected application does not stop a new one for the same year
    desk.apply("cun", "li_m", on=D(2025, 5, 1))


def test_objections_only_while_posted(desk):
    n = desk.apply("cun", "li_f")
    with pytest.raises(UserError, match="不在公示期"):
        desk.step("cun", objections.raise_objection, n, raised_on=D(2025, 3, 2), content="异议", today=TODAY)
    desk.through_posting(n)
    with pytest.raises(UserError, match="不在公示期"):
        desk.step("cun", objections.raise_objection, n, raised_on=D(2025, 3, 18), content="异议", today=TODAY)


@pytest.mark.parametrize(
    "who, what",
    [
        ("xiang", "apply"),
        ("xian", "apply"),
        ("shenji", "apply"),
        ("tongji", "apply"),
        ("xiang", "village_review"),
        ("shenji", "village_review"),
        ("cun", "post"),
        ("xiang", "post"),
        ("cun", "township_review"),
        ("shenji", "township_review"),
        ("cun", "confirm"),
        ("xiang", "confirm"),
        ("shenji", "confirm"),
        ("tongji", "confirm"),
    ],
)
def test_each_step_needs_its_role(desk, who, what):
    n = desk.apply("cun", "li_f")
    if what in ("post", "township_review", "confirm"):
        review(desk, n)
    if what in ("township_review", "confirm"):
        p = post(desk)
        desk.step("cun", posting.end_posting, p.id, on=D(2025, 3, 17), today=TODAY)
    if what == "confirm":
        desk.step("xiang", applications.township_review, n, on=D(2025, 3, 20), today=TODAY)
    calls = {
        "apply": lambda: desk.apply(who, "li_m"),
        "village_review": lambda: desk.step(who, applications.village_review, n, on=D(2025, 3, 5), today=TODAY),
        "post": lambda: post(desk, who),
        "township_review": lambda: desk.step(who, applications.township_review, n, on=D(2025, 3, 20), today=TODAY),
        "confirm": lambda: desk.step(who, applications.confirm, desk.eligibility, n, on=D(2025, 4, 1), today=TODAY),
    }
    if (who, what) == ("cun", "post"):  # the village worker may post: the control of this table
        assert post(desk, who).days == 7
        return
    with pytest.raises(UserError) as e:
        calls[what]()
    assert e.value.code == "forbidden"


def test_the_township_reviewer_cannot_also_confirm(desk):
    n = desk.apply("cun", "li_f")
    desk.through_posting(n)
    desk.step("xian", applications.township_review, n, on=D(2025, 3, 20), today=TODAY)  # the county administrator may review too
    with pytest.raises(UserError, match="同一账号"):
        desk.step("xian", applications.confirm, desk.eligibility, n, on=D(2025, 4, 1), today=TODAY)
    desk.step("xian2", applications.confirm, desk.eligibility, n, on=D(2025, 4, 1), today=TODAY)
    assert status(desk, n) == "confirmed"


def test_a_township_officer_cannot_touch_another_townships_applications(desk):
    far = desk.apply("she", "far_f")  # the town's community
    desk.through_posting(far, worker="she")
    with pytest.raises(NotFound):
        desk.step("xiang", applications.township_review, far, on=D(2025, 3, 20), today=TODAY)
    with pytest.raises(NotFound):
        desk.step("xiang", objections.raise_objection, far, raised_on=D(2025, 3, 12), content="x", today=TODAY)
    with desk.db.read() as s:
        assert applications.list_applications(s, desk.officer("xiang")) == []
        assert [a.id for a in applications.list_applications(s, desk.officer("zhen"))] == [far]
        assert [a.id for a in applications.list_applications(s, desk.officer("shenji"))] == [far]  # the county auditor reads everything
        assert applications.list_applications(s, desk.officer("cun")) == []
        with pytest.raises(NotFound):
            applications.get_application(s, desk.officer("cun"), far)
    desk.step("zhen", applications.township_review, far, on=D(2025, 3, 20), today=TODAY)
    assert status(desk, far) == "township_reviewed"


def test_a_village_worker_applies_and_posts_only_in_the_village(desk):
    with pytest.raises(NotFound):
        desk.apply("cun", "two_f")  # 李营村, the neighbouring village
    with pytest.raises(NotFound):
        post(desk, village=VILLAGE2)
    two = desk.apply("cun2", "two_f")
    with pytest.raises(NotFound):
        review(desk, two)


def test_an_application_belongs_to_the_hukou_place(desk):
    desk.b.event("move", "two_f", D(2024, 5, 1), scope="residence", residence_unit=VILLAGE)  # lives here, registered next door
    with pytest.raises(ValidationFailed) as e:
        desk.apply("cun", "two_f")
    assert [p.rule for p in e.value.problems] == ["hukou_elsewhere"]
    assert status(desk, desk.apply("cun2", "two_f")) == "applied"


def test_application_values_are_checked_with_field_value_and_rule(desk):
    with pytest.raises(ValidationFailed) as e:
        desk.apply("cun", "li_f", programme="pension", account="12-34", on=D(2027, 1, 1))
    assert {(p.rule, p.field) for p in e.value.problems} == {
        ("bad_choice", "programme"),
        ("bad_account", "account_no"),
        ("future_date", "applied_on"),
    }
    assert next(p for p in e.value.problems if p.field == "account_no").value == "*****"  # the account is masked even here
    with pytest.raises(ValidationFailed) as e:
        desk.apply("cun", "li_f", programme="")
    assert ("required", "programme") in {(p.rule, p.field) for p in e.value.problems}  # empty: required, not a list of keys
    with pytest.raises(ValidationFailed) as e:
        desk.apply("cun", "li_f", attested={"no_such_fact": D(2025, 3, 1)})
    assert [(p.rule, p.value) for p in e.value.problems] == [("bad_choice", "no_such_fact")]
    n = desk.apply("cun", "li_f")
    with pytest.raises(ValidationFailed) as e:
        desk.apply("cun", "li_f")
    assert [(p.rule, p.params["number"]) for p in e.value.problems] == [("already_applied", str(n))]


def test_confirmation_refused_when_the_eligibility_service_says_no(desk):
    n = desk.apply("cun", "sd_f")  # a son and a daughter
    desk.through_posting(n)
    desk.step("xiang", applications.township_review, n, on=D(2025, 3, 20), today=TODAY)
    with pytest.raises(UserError, match="两个女孩") as e:
        desk.step("xian", applications.confirm, desk.eligibility, n, on=D(2025, 4, 1), today=TODAY)
    assert e.value.code == "not_eligible" and status(desk, n) == "township_reviewed"
    with pytest.raises(ValidationFailed):
        desk.step(
            "xian", applications.confirm, desk.eligibility, n, on=D(2025, 4, 1), approve=False, today=TODAY
        )  # a rejection needs its reason
    desk.step("xian", applications.confirm, desk.eligibility, n, on=D(2025, 4, 1), approve=False, note="一子一女，不符合条件", today=TODAY)
    assert status(desk, n) == "rejected"


def test_an_unattested_declaration_is_never_inferred(desk):
    n = desk.apply("cun", "li_f", attested={})
    desk.through_posting(n)
    desk.step("xiang", applications.township_review, n, on=D(2025, 3, 20), today=TODAY)
    with pytest.raises(UserError, match="未声明") as e:
        desk.step("xian", applications.confirm, desk.eligibility, n, on=D(2025, 4, 1), today=TODAY)
    assert "not attested" in e.value.en and "1973" in e.value.zh


def test_steps_are_dated_in_order_and_never_in_the_future(desk):
    n = desk.apply("cun", "li_f")
    with pytest.raises(UserError, match="早于上一环节"):
        review(desk, n, on=D(2025, 2, 1))
    with pytest.raises(ValidationFailed) as e:
        review(desk, n, on=TODAY + dt.timedelta(days=1))
    assert [p.rule for p in e.value.problems] == ["future_date"]
    assert status(desk, n) == "applied"


# ----------------------------------------------------------------------------------- the posting's notice


def test_the_printable_notice_names_masked_ids_village_programme_and_amount(desk):
    import io

    import pypdf
    from openpyxl import load_workbook

    from renkou.stats import render

    a, b = desk.apply("cun", "li_f"), desk.apply("cun", "li_m")
    for n in (a, b):
        review(desk, n)
    p = post(desk)
    with desk.db.read() as s:
        t = posting.notice(s, desk.officer("cun"), desk.eligibility, desk.programmes, p.id, today=TODAY)
        people = [s.get(Person, desk.id(k)) for k in ("li_f", "li_m")]
    assert [r.values[1:6] for r in t.rows] == [
        (x.name, x.id_number[:6] + "********" + x.id_number[-4:], "王庄村", "奖扶", 960) for x in people
    ]
    assert t.period_label == "2025年03月10日至2025年03月16日"
    text = "".join(pypdf.PdfReader(io.BytesIO(render.to_pdf(t))).pages[0].extract_text().replace("\x00", "").split())
    # a public notice: its period said once, the posting unit's seal and the supervision telephone in the foot
    assert text.count("公示期：") == 1 and "统计期" not in text and "公示单位（盖章）" in text and "监督电话" in text
    assert people[0].name in text and people[0].id_number[-4:] in text and people[0].id_number not in text and "960.00" in text
    ws = load_workbook(io.BytesIO(render.to_xlsx(t))).active
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert people[1].name in cells and people[1].id_number not in cells
    with desk.db.read() as s, pytest.raises(NotFound):
        posting.notice(s, desk.officer("she"), desk.eligibility, desk.programmes, p.id)  # another township's village worker


# ------------------------------------------------------------------------------------ importing applications


def _file(tmp_path, rows, name="apps.csv"):
    import csv

    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["身份证号码", "项目", "年度", "申请日期", "银行账号", "开户银行", "领款人身份证号码", "声明事项"])
        w.writerows(rows)
    return path


def _idn(desk, key):
    with desk.db.read() as s:
        return s.get(Person, desk.id(key)).id_number


def test_applications_imported_from_a_file_like_any_entered_by_hand(desk, tmp_path):
    from renkou.benefits.cycle import intake

    path = _file(
        tmp_path,
        [
            [_idn(desk, "li_f"), "奖扶", "2025", "2025-03-01", "6222000011112222", "农商银行", "", "declaration"],
            [_idn(desk, "li_m"), "reward", "2025", "2025/03/02", "6222000033334444", "", "", "declaration"],
        ],
    )
    res = intake.import_file(desk.db, desk.officer("cun"), desk.programmes, path, today=TODAY)
    assert (res.rows, res.created) == (2, 2)
    with desk.db.read() as s:
        apps = applications.list_applications(s, desk.officer("cun"))
        assert [(a.person_id, a.status, a.attested, a.bank) for a in apps] == [
            (desk.id("li_f"), "applied", {"declaration": "2025-03-01"}, "农商银行"),
            (desk.id("li_m"), "applied", {"declaration": "2025-03-02"}, ""),
        ]
        assert [st.step for st in applications.steps(s, apps[0])] == ["apply"]


def test_an_imported_file_with_any_problem_imports_nothing_and_says_row_field_value_rule(desk, tmp_path):
    from renkou.benefits.cycle import intake

    path = _file(
        tmp_path,
        [
            [_idn(desk, "li_f"), "奖扶", "2025", "2025-03-01", "6222000011112222", "", "", "declaration"],
            [_idn(desk, "two_f"), "奖扶", "2025", "2025-03-01", "6222000011112223", "", "", ""],  # another village
            [_idn(desk, "li_m"), "养老", "二〇二五", "2025-13-01", "62-22", "", "", "oath"],
            [_idn(desk, "li_f"), "奖扶", "2025", "2025-03-01", "6222000011112222", "", "", "declaration"],
        ],
    )
    with pytest.raises(ValidationFailed) as e:
        intake.import_file(desk.db, desk.officer("cun"), desk.programmes, path, today=TODAY)
    got = {(p.row, p.field, p.rule) for p in e.value.problems}
    assert got == {
        (3, "id_number", "unknown_person"),
        (4, "programme", "bad_choice"),
        (4, "year", "bad_int"),
        (4, "applied_on", "bad_date"),
        (4, "account_no", "bad_account"),
        (5, "id_number", "duplicate_in_file"),
    }
    masked = next(p for p in e.value.problems if p.rule == "unknown_person").value
    assert "*" in masked and masked != _idn(desk, "two_f")
    assert all(p.zh and p.en for p in e.value.problems)
    with desk.db.read() as s:
        assert s.scalar(select(BenefitApplication.id)) is None  # row 2 was fine, and was not imported either
    with pytest.raises(UserError) as e:
        intake.import_file(desk.db, desk.officer("xiang"), desk.programmes, path, today=TODAY)
    assert e.value.code == "forbidden"


# ------------------------------------------------------------------ the application date (issue 13)


def _left_for_the_other_township(desk, key="li_f", on=D(2025, 6, 1)):
    """``key`` moves hukou and home from 张庄村 (township 乡) to the community of the other township (镇)."""
    desk.b.event("move", key, on, scope="both", hukou_unit=COMMUNITY, residence_unit=COMMUNITY)


def test_a_back_dated_application_for_someone_who_has_left_the_area_is_refused_as_not_found(desk):
    _left_for_the_other_township(desk)
    with pytest.raises(NotFound) as e:  # 2025-03-01: still in the village then, but not today
        desk.apply("cun", "li_f", on=D(2025, 3, 1))
    assert "li_f" not in str(e.value) and "410185101001" not in e.value.en  # nothing about where they went
    with desk.db.read() as s:
        assert s.scalar(select(BenefitApplication.id)) is None
    with pytest.raises(NotFound):  # the new place cannot back-date either: on 2025-03-01 they were not there
        desk.apply("she", "li_f", on=D(2025, 3, 1))
    assert status(desk, desk.apply("she", "li_f", on=D(2025, 7, 1))) == "applied"  # the new place, after the move


def test_the_shared_check_says_not_found_for_someone_who_has_left_and_nothing_more(desk):
    """The check the form and the import share: no problem about the person beyond "not found"."""
    _left_for_the_other_township(desk)
    off = desk.officer("cun")
    with desk.db.read() as s:
        person = s.get(Person, desk.id("li_f"))
        _, probs = applications.check_application(
            s,
            off,
            desk.programmes,
            programme="reward",
            person=person,
            year=2025,
            applied_on=D(2025, 3, 1),
            account_no="6222000011112222",
            payee=None,
            attested={"declaration": "2025-03-01"},
            today=TODAY,
        )
    assert [(p.rule, p.field) for p in probs] == [("unknown_person", "person")]


def test_an_application_dated_in_the_future_is_refused_naming_the_field(desk):
    with pytest.raises(ValidationFailed) as e:
        desk.apply("cun", "li_f", on=TODAY + dt.timedelta(days=1))
    [p] = e.value.problems
    assert (p.rule, p.field, p.value) == ("future_date", "applied_on", str(TODAY + dt.timedelta(days=1)))
    assert p.zh and p.en and p.zh != p.en


@pytest.mark.parametrize(
    "programme, start", [("reward", D(2004, 1, 1)), ("special", D(2008, 1, 1)), ("onechild", D(2002, 9, 1)), ("childcare", D(2025, 1, 1))]
)
def test_an_application_dated_before_the_programme_began_is_refused_naming_the_field(desk, programme, start):
    assert desk.programmes[programme].starts == start  # the programmes' data
    with pytest.raises(ValidationFailed) as e:
        desk.apply("cun", "li_f", programme=programme, year=max(start.year, 2004), on=start - dt.timedelta(days=1))
    p = next(p for p in e.value.problems if p.field == "applied_on")
    assert p.rule == "before_programme_start" and str(start) in p.zh and str(start) in p.en and p.zh != p.en
    with desk.db.read() as s:
        assert s.scalar(select(BenefitApplication.id)) is None


def test_the_import_refuses_the_same_dates_and_the_same_people(desk, tmp_path):
    from renkou.benefits.cycle import intake

    _left_for_the_other_township(desk, "li_m")
    path = _file(
        tmp_path,
        [
            [_idn(desk, "li_f"), "奖扶", "2004", "2003-12-31", "6222000011112222", "", "", "declaration"],
            [_idn(desk, "li_f"), "特扶", "2025", (TODAY + dt.timedelta(days=3)).isoformat(), "6222000011112222", "", "", ""],
            [_idn(desk, "li_m"), "奖扶", "2025", "2025-03-01", "6222000033334444", "", "", "declaration"],
        ],
    )
    with pytest.raises(ValidationFailed) as e:
        intake.import_file(desk.db, desk.officer("cun"), desk.programmes, path, today=TODAY)
    got = {(p.row, p.field, p.rule) for p in e.value.problems}
    assert {(2, "applied_on", "before_programme_start"), (3, "applied_on", "future_date"), (4, "id_number", "unknown_person")} <= got
    assert not {(r, f) for r, f, _ in got if r == 4} - {(4, "id_number")}  # nothing more about someone outside the area
