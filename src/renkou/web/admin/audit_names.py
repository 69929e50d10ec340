"""What the audit viewer calls the tables, fields and statuses of the audit trail, in Chinese and
English — a catalogue kept as data. A test holds it to renkou.storage.schema: every table whose rows
are tracked (created by a changeset, updated with before/after values) and every column of those tables
has a name here, and every table with a status names the workflow whose labels its statuses take.

* ``TABLES``: table -> (zh, en);
* ``FIELDS``: column -> (zh, en), for a column of that name in any table; ``TABLE_FIELDS``:
  (table, column) -> (zh, en) where a table means something else by it;
* ``NOTES``: the notes the code writes on a changeset ("login", "account wang created"), as patterns
  with their Chinese and English wording (``note_text``); a note of no pattern is shown as written;
* ``STATUS_WORKFLOWS``: table -> the workflow (renkou.core.workflow) of its ``status`` column: one lookup,
  ``status_name``, gives every status its label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from renkou.benefits.cycle.application_workflow import WORKFLOW as APPLICATION
from renkou.benefits.cycle.exit_workflow import WORKFLOW as EXIT
from renkou.benefits.payments.batch_workflow import WORKFLOW as BATCH
from renkou.benefits.payments.line_workflow import WORKFLOW as LINE
from renkou.core.workflow import Workflow

__all__ = ["FIELDS", "NOTES", "STATUS_WORKFLOWS", "TABLES", "TABLE_FIELDS", "field_name", "note_text", "status_name", "table_name"]

TABLES: Mapping[str, tuple[str, str]] = {
    "person": ("人员", "Person"),
    "event": ("人口事件", "Event"),
    "household": ("户", "Household"),
    "org_unit": ("组织机构", "Organisation unit"),
    "org_version": ("组织机构版本", "Organisation unit version"),
    "org_succession": ("区划调整承继", "Organisation succession"),
    "account": ("用户账号", "User account"),
    "api_token": ("API 令牌", "API token"),
    "benefit_posting": ("公示", "Public posting"),
    "benefit_application": ("扶助申请", "Benefit application"),
    "benefit_step": ("申请办理环节", "Application step"),
    "benefit_objection": ("公示异议", "Objection"),
    "benefit_recipient": ("扶助对象", "Benefit recipient"),
    "benefit_confirmation": ("年度资格确认", "Yearly confirmation"),
    "benefit_exit": ("退出", "Exit"),
    "benefit_coverage": ("三个全覆盖", "Full coverage"),
    "payment_batch": ("发放批次", "Payment batch"),
    "payment_line": ("发放明细", "Payment line"),
    "payment_month": ("发放月份", "Month paid"),
    "payment_finding": ("发放前核查发现", "Pre-release finding"),
    "payment_export": ("银行文件导出", "Bank file export"),
    "payment_result": ("银行发放结果", "Bank result"),
}

FIELDS: Mapping[str, tuple[str, str]] = {
    # common
    "id": ("内部编号", "Internal number"),
    "version": ("版本号", "Version"),
    "seq": ("变更序号", "Change number"),
    "created_cs": ("创建批次", "Created by changeset"),
    "status": ("状态", "Status"),
    "reason": ("原因", "Reason"),
    "detail": ("详情", "Detail"),
    "note": ("备注", "Note"),
    "kind": ("类别", "Kind"),
    "date": ("日期", "Date"),
    "year": ("年度", "Year"),
    "programme": ("扶助项目", "Programme"),
    "period": ("期别", "Period"),
    "name": ("名称", "Name"),
    "code": ("代码", "Code"),
    "level": ("层级", "Level"),
    "unit_id": ("所属单位", "Unit"),
    "person_id": ("人员", "Person"),
    "payee_id": ("收款人", "Payee"),
    "account_no": ("银行账号", "Bank account"),
    "bank": ("开户银行", "Bank"),
    "attested": ("核实事项", "Facts attested"),
    "valid_from": ("生效日期", "Valid from"),
    "since": ("起始日期", "Since"),
    "until": ("截止日期", "Until"),
    "application_id": ("申请", "Application"),
    "recipient_id": ("扶助对象", "Recipient"),
    "line_id": ("发放明细", "Payment line"),
    "batch_id": ("发放批次", "Payment batch"),
    "account": ("经办账号", "By account"),
    "outcome": ("结果", "Outcome"),
    # person
    "id_number": ("身份证号", "ID number"),
    "temp_key": ("临时编号", "Temporary key"),
    "name_pinyin": ("姓名拼音", "Name in pinyin"),
    "name_initials": ("姓名拼音首字母", "Pinyin initials"),
    "sex": ("性别", "Sex"),
    "birth_date": ("出生日期", "Date of birth"),
    "ethnicity": ("民族", "Ethnicity"),
    # event
    "source": ("信息来源", "Source"),
    "partner_id": ("配偶", "Spouse"),
    "mother_id": ("母亲", "Mother"),
    "father_id": ("父亲", "Father"),
    "hukou_unit_id": ("户籍地", "Hukou place"),
    "residence_unit_id": ("居住地", "Place of residence"),
    "work_unit_id": ("工作单位", "Work unit"),
    "household_id": ("户", "Household"),
    "relation": ("与户主关系", "Relation to the head of household"),
    "hukou_type": ("户口性质", "Hukou type"),
    "scope": ("迁移范围", "Scope of the move"),
    "origin_code": ("迁出地代码", "Code of the place moved from"),
    "destination_code": ("迁入地代码", "Code of the place moved to"),
    "place": ("地点", "Place"),
    "certificate_no": ("证明编号", "Certificate number"),
    "grade": ("等级", "Grade"),
    "supersedes_id": ("更正的事件", "Event corrected"),
    "fingerprint": ("内容摘要", "Content digest"),
    # household, organisation
    "number": ("户编号", "Household number"),
    "address": ("地址", "Address"),
    "created_on": ("建立日期", "Created on"),
    "unit_kind": ("单位类型", "Kind of unit"),
    "retired_on": ("撤销日期", "Retired on"),
    "parent_id": ("上级单位", "Parent unit"),
    "urban_rural": ("城乡分类代码", "Urban-rural class"),
    "predecessor_id": ("原单位", "Predecessor"),
    "successor_id": ("承继单位", "Successor"),
    "is_primary": ("主承继单位", "Primary successor"),
    # accounts
    "username": ("用户名", "User name"),
    "display_name": ("姓名", "Name"),
    "role": ("角色", "Role"),
    "password_hash": ("密码", "Password"),
    "totp_secret": ("动态验证码密钥", "One-time-code key"),
    "active": ("启用", "Active"),
    "failed_logins": ("连续登录失败次数", "Failed sign-ins in a row"),
    "locked_until": ("锁定至", "Locked until"),
    "password_changed_at": ("密码修改时间", "Password changed at"),
    "sessions_valid_after": ("会话失效时间", "Sessions ended at"),
    "totp_last_step": ("最近使用的动态验证码时段", "Time step of the last one-time code"),
    "last_login_origin": ("最近登录地址", "Address of the last sign-in"),
    "password_must_change": ("下次登录须改密码", "Must change the password"),
    "token_hash": ("令牌摘要", "Token digest"),
    "revoked_at": ("吊销时间", "Revoked at"),
    # benefits
    "starts_on": ("公示开始日期", "Posting starts on"),
    "days": ("公示天数", "Days posted"),
    "closed_on": ("结束日期", "Closed on"),
    "applied_on": ("申请日期", "Applied on"),
    "posting_id": ("公示", "Posting"),
    "step": ("环节", "Step"),
    "done_on": ("办理日期", "Done on"),
    "raised_on": ("提出日期", "Raised on"),
    "objector": ("异议人", "Objector"),
    "content": ("异议内容", "Content"),
    "recorded_by": ("登记人", "Recorded by"),
    "resolution": ("处理意见", "Resolution"),
    "resolved_on": ("处理日期", "Resolved on"),
    "resolved_by": ("处理人", "Resolved by"),
    "ended_on": ("终止日期", "Ended on"),
    "confirmed_on": ("确认日期", "Confirmed on"),
    "how": ("确认方式", "How confirmed"),
    "cause": ("退出原因", "Cause"),
    "effective_on": ("生效日期", "Effective on"),
    "event_id": ("所据事件", "Event"),
    "proposed_on": ("提出日期", "Proposed on"),
    "notice": ("迁入地函告", "Notice"),
    "decided_on": ("决定日期", "Decided on"),
    "decided_by": ("决定人", "Decided by"),
    "checked_on": ("核查日期", "Checked on"),
    "released_on": ("放行日期", "Released on"),
    "months": ("月数", "Months"),
    "amount": ("金额（元）", "Amount (yuan)"),
    "basis": ("计算依据", "Basis"),
    "failure": ("失败原因", "Failure"),
    "month": ("月份", "Month"),
    "found_on": ("发现日期", "Found on"),
    "cleared_on": ("解除日期", "Cleared on"),
    "cleared_by": ("解除人", "Cleared by"),
    "file_name": ("文件名", "File name"),
    "sha256": ("文件摘要", "File digest"),
    "lines": ("明细条数", "Lines"),
    "total": ("合计金额（元）", "Total (yuan)"),
    "bank_ref": ("银行流水号", "Bank reference"),
    "reported_on": ("回盘日期", "Reported on"),
}

TABLE_FIELDS: Mapping[tuple[str, str], tuple[str, str]] = {
    ("person", "name"): ("姓名", "Name"),
    ("person", "id"): ("人员内部编号", "Person's internal number"),
    ("api_token", "name"): ("令牌用途", "Purpose"),
    ("api_token", "account_id"): ("所属账号", "Account"),
    ("account", "unit_id"): ("所属单位（可见范围）", "Unit (scope)"),
    ("event", "kind"): ("事件类别", "Kind of event"),
    ("event", "reason"): ("更正原因", "Reason for the correction"),
    ("org_succession", "kind"): ("调整方式", "Kind of change"),
    ("org_succession", "date"): ("调整日期", "Date of the change"),
    ("org_version", "name"): ("单位名称", "Name of the unit"),
    ("benefit_coverage", "kind"): ("覆盖项目", "Coverage"),
    ("payment_finding", "kind"): ("核查项目", "Check"),
    ("payment_finding", "reason"): ("解除理由", "Reason for clearing"),
    ("payment_result", "reason"): ("失败原因", "Reason it failed"),
    ("benefit_step", "note"): ("办理意见", "Note"),
    ("benefit_exit", "detail"): ("情况说明", "Detail"),
    ("benefit_exit", "reason"): ("决定理由", "Reason for the decision"),
}

# the workflow of each table's ``status`` column (renkou.core.workflow): its statuses' names
STATUS_WORKFLOWS: Mapping[str, Workflow] = {
    "benefit_application": APPLICATION,
    "benefit_exit": EXIT,
    "payment_batch": BATCH,
    "payment_line": LINE,
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def table_name(table: str, lang: str) -> str:
    """The table's name in ``lang``; the table's own name when the catalogue has none."""
    return _pick(TABLES[table], lang) if table in TABLES else table


def field_name(table: str, column: str, lang: str) -> str:
    """The column's name in ``lang`` (the table's own meaning first); the column's own name when none."""
    pair = TABLE_FIELDS.get((table, column)) or FIELDS.get(column)
    return _pick(pair, lang) if pair else column


def status_name(table: str, status: str, lang: str) -> str:
    """A status of the table's workflow by its name in ``lang``; the status itself when unknown."""
    wf = STATUS_WORKFLOWS.get(table)
    pair = wf.statuses.get(status) if wf is not None else None
    return _pick(pair, lang) if pair else status


# (pattern of a changeset's note as the code writes it, zh, en): the groups of the pattern fill in the wording
NOTES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(p), zh, en)
    for p, zh, en in (
        (r"login", "登录", "sign-in"),
        (r"sign out", "退出登录", "sign-out"),
        (r"TOTP set up", "设置动态验证码", "one-time code set up"),
        (r"password changed by its owner", "本人修改密码", "password changed by its owner"),
        (r"account (?P<u>\S+) created", "新建账号 {u}", "account {u} created"),
        (r"account (?P<u>\S+) unlocked", "解锁账号 {u}", "account {u} unlocked"),
        (r"account (?P<u>\S+) deactivated", "停用账号 {u}", "account {u} deactivated"),
        (r"account (?P<u>\S+) reactivated", "重新启用账号 {u}", "account {u} reactivated"),
        (r"password of (?P<u>\S+) reset", "重置账号 {u} 的密码", "password of {u} reset"),
        (r"one-time code of (?P<u>\S+) cleared", "清除账号 {u} 的动态验证码", "one-time code of {u} cleared"),
        (r"API tokens of (?P<u>\S+) revoked", "吊销账号 {u} 的 API 令牌", "API tokens of {u} revoked"),
        (r"API token for (?P<u>\S+)", "为账号 {u} 创建 API 令牌", "API token for {u}"),
        (r"demo accounts", "演示账号", "demo accounts"),
        (r"demo county history", "演示县历史数据", "demo county history"),
        (r"synthetic county: (?P<n>\d+) persons", "模拟县：{n} 人", "synthetic county: {n} persons"),
        (r"import (?P<k>\S+) (?P<f>.+)", "导入 {f}", "import {k} {f}"),
        (r"web form: (?P<k>\S+)", "网页登记：{k}", "web form: {k}"),
        (r"detect exits", "检出退出情形", "detect exits"),
    )
)


def note_text(note: str, lang: str) -> str:
    """A changeset's note in ``lang`` when it is one the code writes (``NOTES``), else as written."""
    for pattern, zh, en in NOTES:
        m = pattern.fullmatch(note)
        if m:
            return (en if lang == "en" else zh).format(**m.groupdict())
    return note
