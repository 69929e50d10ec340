"""Import templates: the columns of each kind of file, with Chinese headers, rules and an example.

A file may use the Chinese header (姓名) or the English key (name) for each column. The template
files written by `renkou template` use the Chinese headers and carry a notes sheet (XLSX).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from renkou.core.codes import LEVELS, UNIT_KINDS, URBAN_RURAL_CLASSES
from renkou.core.events import EVENT_KINDS
from renkou.core.vocab import HUKOU_TYPES, MOVE_SCOPES, RELATIONS, SOURCES


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    required: bool
    example: str
    note_zh: str
    note_en: str


def _choices(vocab: dict) -> str:
    return ", ".join(f"{k}={v[0] if isinstance(v, tuple) else v.zh}" for k, v in vocab.items())


KINDS: dict[str, tuple[str, str, tuple[Column, ...]]] = {
    "orgs": (
        "组织机构",
        "organisation units",
        (
            Column(
                "code",
                "代码",
                True,
                "410102001000",
                "县 6 位；乡、村 12 位统计用区划代码；组为村代码+3 位；单位自编",
                "county 6 digits; township and village 12-digit statistical codes; group = village + 3 digits; work units their own code",
            ),
            Column("name", "名称", True, "示例街道", "名称", "name"),
            Column("level", "级别", True, "township", ", ".join(f"{k}={v.zh}" for k, v in LEVELS.items()), "level"),
            Column("parent_code", "上级代码", False, "410102", "县级以上可空", "empty only for the top of the tree"),
            Column("valid_from", "设立日期", True, "2000-01-01", "YYYY-MM-DD", "date the unit came into being"),
            Column("urban_rural", "城乡分类", False, "111", _choices(URBAN_RURAL_CLASSES), "urban-rural class code"),
            Column("unit_kind", "单位类型", False, "", _choices(UNIT_KINDS) + "（仅 level=unit）", "work-unit kind (level unit only)"),
        ),
    ),
    "households": (
        "户",
        "households",
        (
            Column("number", "户编号", True, "4101020010010001", "全县唯一", "unique in the county"),
            Column("unit_code", "所在单位代码", True, "410102001001", "村（居）或组代码", "village or group code"),
            Column("address", "住址", False, "示例路 1 号", "", "address"),
            Column("created_on", "立户日期", True, "2000-01-01", "YYYY-MM-DD", "date the household was set up"),
        ),
    ),
    "persons": (
        "人员",
        "persons",
        (
            Column(
                "id_number",
                "身份证号码",
                False,
                "11010519491231002X",
                "18 位（15 位自动转换）；与临时编号至少填一项",
                "18 characters (15 converted); this or a temporary key",
            ),
            Column("temp_key", "临时编号", False, "", "尚无身份证号的人员（新生儿）", "for people without an ID number yet (newborns)"),
            Column("name", "姓名", True, "张三", "", "name"),
            Column("sex", "性别", True, "女", "男/女 或 M/F", "M/F or 男/女"),
            Column("birth_date", "出生日期", True, "1949-12-31", "YYYY-MM-DD", "birth date"),
            Column("ethnicity", "民族", False, "汉族", "GB 3304 代码或名称，默认汉族", "GB 3304 code or name; default 01 (Han)"),
            Column("hukou_type", "户口性质", False, "非农业", _choices(HUKOU_TYPES), "hukou type"),
            Column("hukou_unit", "户籍地代码", False, "410102001001", "户籍所在村（居）代码", "village of hukou registration"),
            Column("residence_unit", "居住地代码", False, "410102001001", "现居住村（居）代码", "village of residence"),
            Column("household", "户编号", False, "4101020010010001", "已导入的户编号", "number of an imported household"),
            Column("relation", "与户主关系", False, "户主", _choices(RELATIONS), "relation to the household head"),
            Column(
                "registered_on",
                "登记日期",
                False,
                "",
                "在册起始日期，默认为出生日期",
                "date from which the person is on the register; default birth date",
            ),
        ),
    ),
    "events": (
        "事件",
        "events",
        (
            Column(
                "kind", "事件类型", True, "marriage", _choices({k: v for k, v in EVENT_KINDS.items() if k != "retraction"}), "event kind"
            ),
            Column(
                "person",
                "当事人证件号",
                True,
                "11010519491231002X",
                "身份证号码或临时编号（出生事件为新生儿）",
                "ID number or temporary key (for a birth, the child)",
            ),
            Column("date", "日期", True, "1970-05-01", "YYYY-MM-DD", "date of the event"),
            Column("source", "来源", False, "village", _choices(SOURCES) + "，默认 import", "source; default import"),
            Column("partner", "配偶证件号", False, "440524188001010014", "结婚、离婚", "marriage, divorce"),
            Column("mother", "母亲证件号", False, "", "出生、收养", "birth, adoption"),
            Column("father", "父亲证件号", False, "", "出生、收养", "birth, adoption"),
            Column("hukou_unit", "户籍地代码", False, "", "出生、迁移", "birth, move"),
            Column("residence_unit", "居住地代码", False, "", "出生、迁移", "birth, move"),
            Column("work_unit", "工作单位代码", False, "", "进入/离开单位", "work_join, work_leave"),
            Column("household", "户编号", False, "", "出生、户籍关系变更", "birth, household change"),
            Column("relation", "与户主关系", False, "", _choices(RELATIONS), "relation to the head"),
            Column("hukou_type", "户口性质", False, "", _choices(HUKOU_TYPES), "hukou type"),
            Column("scope", "迁移类型", False, "", _choices(MOVE_SCOPES), "move scope"),
            Column(
                "origin_code", "迁出地代码", False, "", "从县外迁入时的来源地区划代码", "division code of origin, for moves into the county"
            ),
            Column(
                "destination_code",
                "迁入地代码",
                False,
                "",
                "迁往县外时的目的地区划代码",
                "division code of destination, for moves out of the county",
            ),
            Column("place", "地点", False, "", "出生或死亡地点", "place of birth or death"),
            Column(
                "certificate_no",
                "证明编号",
                False,
                "",
                "出生医学证明或残疾证编号",
                "birth medical certificate or disability certificate number",
            ),
            Column("grade", "残疾等级", False, "", "1-4", "disability grade 1-4"),
        ),
    ),
}


def columns(kind: str) -> tuple[Column, ...]:
    return KINDS[kind][2]


def header_map(kind: str) -> dict[str, str]:
    """Header text (Chinese or English key, case-insensitive) -> column key."""
    m: dict[str, str] = {}
    for c in columns(kind):
        m[c.key.lower()] = c.key
        m[c.zh] = c.key
    return m


def write_template(kind: str, path: Path, fmt: str) -> None:
    cols = columns(kind)
    if fmt == "csv":
        import csv

        with path.open("w", newline="", encoding="utf-8-sig") as f:  # BOM: Excel opens it as UTF-8
            w = csv.writer(f)
            w.writerow([c.zh for c in cols])
            w.writerow([c.example for c in cols])
        return
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = KINDS[kind][0]
    ws.append([c.zh for c in cols])
    ws.append([c.example for c in cols])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for i, c in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = bold, fill
        ws.column_dimensions[cell.column_letter].width = max(12, len(c.zh) * 2 + 4, len(c.example) + 2)
        # text format for the whole column: Excel keeps leading zeros and all 18 digits of ID numbers
        ws.column_dimensions[cell.column_letter].number_format = "@"
        for r in (1, 2):
            ws.cell(row=r, column=i).number_format = "@"
    notes = wb.create_sheet("说明 Notes")
    notes.append(["列 Column", "字段 Key", "必填 Required", "说明", "Notes"])
    for c in cols:
        notes.append([c.zh, c.key, "是 yes" if c.required else "否 no", c.note_zh, c.note_en])
    for cell in notes[1]:
        cell.font = bold
    wb.save(path)
