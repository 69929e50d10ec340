"""Validation problems: each names the row, the field, the value and the rule, in Chinese and English.

Rules live in one catalogue so that the import report, the CLI and (later) the web forms say the
same thing for the same mistake. Message templates take ``{param}`` placeholders only.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field

RULES: dict[str, tuple[str, str]] = {
    # field-level
    "required": ("必填项不能为空", "is required"),
    "too_long": ("超过最大长度 {max} 个字符", "is longer than {max} characters"),
    "bad_date": ("不是有效日期（格式 YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD）", "is not a valid date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)"),
    "future_date": ("日期晚于今天", "is a date in the future"),
    "hidden_chars": (
        "含有不可见字符或控制字符 {chars}（如 NUL、文字方向控制符、字节顺序标记），请删除后重新导入",
        "contains invisible or control characters {chars} (such as NUL, text-direction controls, a byte-order mark): remove them and import again",
    ),
    "before_programme_start": ("早于该项目的实施日期 {start}", "is before the programme began, on {start}"),
    "bad_int": ("不是整数", "is not a whole number"),
    "bad_choice": ("不是允许的取值（可选：{choices}）", "is not an allowed value (one of: {choices})"),
    "bad_amount": ("不是有效金额（元，最多两位小数）", "is not an amount in yuan (at most two decimals)"),
    # identifiers
    "id_length": ("身份证号码应为 18 位（或旧 15 位）", "an ID number has 18 characters (or 15 in the old form)"),
    "id_chars": ("身份证号码前 17 位须为数字，末位为数字或 X", "an ID number is 17 digits and a digit or X"),
    "id_date": ("身份证号码中的出生日期 {date} 不存在", "the birth date {date} inside the ID number does not exist"),
    "id_future": ("身份证号码中的出生日期 {date} 晚于今天", "the birth date {date} inside the ID number is in the future"),
    "id_check": ("校验码错误：应为 {expected}，实际为 {actual}", "wrong check character: expected {expected}, found {actual}"),
    "id_address": ("身份证号码的地址码 {code} 不是 6 位行政区划代码", "the address code {code} is not a 6-digit division code"),
    "id_sex_mismatch": ("身份证号码显示性别为{id_sex}，与登记的{sex}不符", "the ID number says {id_sex_en}, the record says {sex_en}"),
    "id_birth_mismatch": (
        "身份证号码中的出生日期 {id_date} 与登记的 {date} 不符",
        "the ID number's birth date {id_date} differs from the recorded {date}",
    ),
    "code_format": ("代码格式不符：{detail}", "the code is malformed: {detail}"),
    # accounts
    "password_short": ("密码至少 {min} 个字符", "a password has at least {min} characters"),
    "password_classes": (
        "密码须包含小写字母、大写字母、数字、符号中的至少三类",
        "a password mixes at least three of lower case, upper case, digits and symbols",
    ),
    "password_common": ("这是常见密码，容易被猜中", "this is a well-known password, easily guessed"),
    "password_username": ("密码不能包含用户名", "a password may not contain the user name"),
    "username_format": (
        "用户名为 3-32 位小写字母、数字、点、下划线或连字符",
        "a user name is 3-32 lower-case letters, digits, dots, underscores or hyphens",
    ),
    "role_level": (
        "角色“{role}”的账号只能绑定到{levels}级单位",
        "an account of the role {role_en} is bound to a unit of level {levels_en}",
    ),
    "username_taken": ("用户名 {username} 已被使用", "the user name {username} is taken"),
    "password_reused": ("新密码不能与原密码相同", "the new password must differ from the current one"),
    # references and uniqueness
    "unknown_org": ("组织机构代码 {code} 不存在", "no organisation unit has the code {code}"),
    "org_inactive": (
        "组织机构 {code} 在 {date} 不存在（已撤销或尚未设立）",
        "organisation unit {code} did not exist on {date} (retired or not yet created)",
    ),
    "unknown_parent": ("上级单位 {code} 不存在", "the parent unit {code} does not exist"),
    "bad_parent_level": ("{level}的上级不能是{parent_level}", "a {level_en} cannot sit under a {parent_level_en}"),
    "unknown_person": ("找不到身份证号或临时编号为 {key} 的人员", "no person has the ID number or temporary key {key}"),
    "unknown_household": ("户编号 {number} 不存在", "no household has the number {number}"),
    "duplicate_in_file": ("与第 {other_row} 行重复", "duplicates row {other_row}"),
    "conflicts_existing": (
        "已存在同一{what}，但内容不同（{fields}）；请用更正而不是重新导入",
        "this {what_en} is already recorded with different values ({fields}); record a correction or an event instead of re-importing",
    ),
    "id_or_temp_key": ("身份证号与临时编号至少填写一项", "give an ID number or a temporary key"),
    # the user's area (renkou.auth.scope): units are public, persons are not
    "outside_area": (
        "不在您的管辖范围内：该单位不属于您所在单位的下级。",
        "Outside your area: the unit does not belong to your unit's subtree.",
    ),
    "unplaced": (
        "须填写您管辖范围内的户籍地或居住地代码：未填写的人员不属于任何管辖范围。",
        "Name the hukou or residence unit in your area: a person without one is in nobody's area.",
    ),
    "registered_elsewhere": (
        "您的管辖范围以外已有持此身份证号码或临时编号的人员记录，须由所在乡镇（街道）或县级核实处理",
        "a record with this ID number or temporary key exists outside your area: the township or county must resolve it",
    ),
    # events
    "event_fields": ("{kind}事件须填写：{fields}", "a {kind_en} event needs: {fields}"),
    "before_birth": ("事件日期 {date} 早于该人员出生日期 {birth}", "the event date {date} is before the person's birth on {birth}"),
    "after_death": ("事件日期 {date} 晚于该人员死亡日期 {death}", "the event date {date} is after the person's death on {death}"),
    "bad_grade": ("残疾等级应为 1-4 级", "a disability grade is 1 to 4"),
    "same_person": ("双方不能是同一人", "both sides are the same person"),
    "no_columns": ("缺少必需的列：{columns}", "required columns are missing: {columns}"),
    "unknown_columns": ("无法识别的列：{columns}", "unrecognised columns: {columns}"),
    # family-support benefits (renkou.benefits)
    "bad_account": ("银行账号应为 6-32 位数字", "a bank account number is 6 to 32 digits"),
    "payment_period": (
        "发放期应为 {first} 至 {last} 年间的一年或一个季度，例如 2025年、2025年第1季度",
        "a payment period is a year or a quarter of {first} to {last}, e.g. 2025 or 2025Q1 (2025年, 2025年第1季度)",
    ),
    "already_applied": (
        "该人员已有{year}年度的此项申请（第 {number} 号）",
        "the person already applied to this programme for {year} (application {number})",
    ),
    "already_recipient": (
        "该人员已是此项目的享受对象，请进行年度确认而不是重新申请",
        "the person already receives this programme: re-confirm them instead of applying again",
    ),
    "payee_required": ("申请对象未成年，须填写领款人（父母或监护人）", "the beneficiary is a minor: give a payee (a parent or guardian)"),
    "payee_minor": ("领款人须已成年", "the payee must be an adult"),
    "no_hukou_unit": ("该人员在 {date} 没有户籍登记地", "the person has no hukou unit on {date}"),
    "hukou_elsewhere": (
        "该人员户籍不在您的管辖范围内，应向户籍地申请",
        "the person's hukou is outside your area: the application belongs to the hukou place",
    ),
    "not_in_batch": ("不是本发放批次中待银行处理的款项", "is not a line of this batch awaiting the bank"),
    "result_conflict": ("与此前导入的银行结果（{was}）不同", "differs from the bank result imported before ({was})"),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one value. ``row`` is the 1-based row in the user's file (header = 1)."""

    rule: str
    field: str = ""
    value: str = ""
    row: int | None = None
    params: dict[str, str] = dc_field(default_factory=dict, hash=False, compare=False)

    @property
    def zh(self) -> str:
        return RULES[self.rule][0].format(**self.params)

    @property
    def en(self) -> str:
        return RULES[self.rule][1].format(**self.params)

    def at_row(self, row: int) -> Problem:
        return Problem(self.rule, self.field, self.value, row, self.params)

    def describe(self) -> str:
        where = f"第 {self.row} 行 / row {self.row}, " if self.row is not None else ""
        return f"{where}{self.field} = {self.value!r}: {self.zh} / {self.en} [{self.rule}]"


SHOWN_CHARS = 200  # a value quoted by a problem is cut after this many characters (a report never carries megabytes)


def shown(value: object) -> str:
    """A value as a problem quotes it: text, cut short with its full length said when it is long."""
    text = "" if value is None else str(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}…（共 {len(text)} 个字符 / {len(text)} characters）"


def problem(rule: str, field: str = "", value: object = "", **params: object) -> Problem:
    if rule not in RULES:
        raise KeyError(f"unknown rule {rule!r}")
    return Problem(rule, field, shown(value), None, {k: str(v) for k, v in params.items()})
