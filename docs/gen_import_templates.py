"""Write docs/import-templates.md from the import template definitions.

The column tables come from ``renkou.exchange.templates.KINDS`` and the event-kind table from
``renkou.core.events.EVENT_KINDS``, so the page cannot drift from what `renkou template` writes
and what `renkou import` accepts. Re-run after changing either module:

    .venv/bin/python docs/gen_import_templates.py
"""

from __future__ import annotations

from pathlib import Path

from renkou.core.events import EVENT_KINDS
from renkou.exchange import templates

OUT = Path(__file__).with_name("import-templates.md")

# Required fields of an event kind (as named in renkou.core.events) -> the import column they mean.
EVENT_FIELD_COLUMN = {
    "mother": "mother",
    "partner": "partner",
    "hukou_unit": "hukou_unit",
    "residence_unit": "residence_unit",
    "work_unit": "work_unit",
    "scope": "scope",
    "hukou_type": "hukou_type",
    "grade": "grade",
}


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ").strip()


def column_table(kind: str) -> str:
    zh_title, en_title, cols = templates.KINDS[kind]
    lines = [
        f"### `{kind}` — {zh_title} ({en_title})",
        "",
        "| 表头 Chinese header | Key (English header) | 必填 Required | 示例 Example | 说明 | Notes |",
        "|---|---|---|---|---|---|",
    ]
    for c in cols:
        req = "**是 yes**" if c.required else "否 no"
        example = f"`{c.example}`" if c.example else ""
        lines.append(f"| {cell(c.zh)} | `{c.key}` | {req} | {example} | {cell(c.note_zh)} | {cell(c.note_en)} |")
    return "\n".join(lines)


def event_kind_table() -> str:
    events_cols = {c.key: c.zh for c in templates.columns("events")}
    lines = [
        "| 事件类型 Kind (code / 中文) | Meaning | Columns it needs besides 当事人证件号 and 日期 |",
        "|---|---|---|",
    ]
    for k in EVENT_KINDS.values():
        if k.key == "retraction":
            continue  # not importable: see the note below the table
        needs = []
        for f in k.required:
            col = EVENT_FIELD_COLUMN.get(f, f)
            needs.append(f"{events_cols.get(col, col)} `{col}`")
        lines.append(f"| `{k.key}` / {k.zh} | {k.en} | {', '.join(needs) or '—'} |")
    return "\n".join(lines)


def kinds_table() -> str:
    lines = ["| Kind | 中文 | Columns | Required columns |", "|---|---|---|---|"]
    for kind, (zh, _en, cols) in templates.KINDS.items():
        req = ", ".join(c.zh for c in cols if c.required)
        lines.append(f"| `{kind}` | {zh} | {len(cols)} | {req} |")
    return "\n".join(lines)


PAGE = """<!-- GENERATED FILE — do not edit by hand. Written by docs/gen_import_templates.py from
src/renkou/exchange/templates.py and src/renkou/core/events.py; re-run
`.venv/bin/python docs/gen_import_templates.py` after changing them. -->

# Import templates (导入模板)

`renkou import KIND FILE` loads one file of one kind. There are four kinds:

{kinds}

## Getting a template

```sh
renkou template persons --format xlsx -o persons.xlsx   # Excel (the default format)
renkou template persons --format csv  -o persons.csv    # CSV
renkou template orgs                                    # no -o: writes orgs.xlsx in the current directory
```

* **XLSX**: the first sheet (named after the kind, e.g. 人员) has the Chinese headers and one example
  row; a second sheet `说明 Notes` lists every column with its key, whether it is required and its
  notes. Only the **first** sheet is read on import, so the notes sheet can stay.
* **CSV**: UTF-8 with a BOM (so Excel opens it correctly), the Chinese header row and the example row.
* **Delete the example row before importing.** It is ordinary data to the importer: if its codes
  happen to exist it will be imported.

Header rules:

* Each column may be headed by its Chinese header (`姓名`) or its English key (`name`, any case).
  Column order does not matter, and optional columns may be left out entirely.
* A file missing a required column, or with a column the importer does not recognise, is refused
  before anything is read (rules `no_columns`, `unknown_columns`).
* Cells are trimmed of surrounding spaces; an empty cell means "not given".

**Excel and long numbers.** Every column of the XLSX template is formatted as *Text*, so typed ID
numbers (身份证号码, 18 digits), household numbers and codes keep all their digits. Data pasted from
elsewhere may bring its own number format: Excel keeps only 15 significant digits of a number and
turns `410102198801200063` into `410102198801200000`. A mangled ID number is usually caught by the
check-character test; a mangled household number or code may not be.

## Columns

Generated from `src/renkou/exchange/templates.py`. "Required" is what the importer insists on for
every row; some optional columns become necessary in combination (see the notes and the rules below).

{tables}

### What each event kind needs

Generated from `src/renkou/core/events.py`.

{event_kinds}

Further rules checked on import:

* `move` / 迁移: with 迁移类型 `residence` or `both`, give 居住地代码 or 迁入地代码 (a move out of the
  county); with `hukou` or `both`, give 户籍地代码 or 迁入地代码.
* `adoption` / 收养: give 母亲证件号 or 父亲证件号 (the adoptive parent or parents).
* An event may not be dated before the person's birth, after their recorded death, or in the future;
  a second death of the same person is refused; 配偶/母亲/父亲 cannot be the person themself.
* 来源 (source) defaults to `import`. It is not part of an event's identity (see "Re-importing").
* Withdrawing an event (撤销) is not an import: use `renkou event retract`.

### Persons: what gets recorded

* 身份证号码 or 临时编号 (or both) identifies the person. A 15-digit ID number is converted to 18
  digits. A person's key, name, sex, birth date and ethnicity are stored on the person.
* 户籍地代码 and 居住地代码 must be given together or not at all. When given, the import also
  records a `register` (登记) event dated 登记日期 (default: the birth date) carrying the hukou unit,
  residence unit, 户编号, 与户主关系 and 户口性质. A person imported without them is on the register
  but counted in no unit's population until an event places them, and the row's 户编号, 与户主关系
  and 户口性质 are not recorded.
* 性别 accepts 男/女, M/F (any case) or 1/2; 民族 accepts the GB 3304 code (`01`) or the name
  (`汉族` or `汉`).
* An ID number whose embedded sex or birth date disagrees with 性别 / 出生日期 is imported and reported
  as a data-quality finding (warning), not an error.

## Import rules

**Atomic (整体导入).** The whole file is checked in one database transaction. If any row has any
error, nothing from the file is written and the command exits with code 1. Fix the file and import
it again.

**Every error names the row, column, value and rule**, in Chinese and English. Rows are counted as
in the spreadsheet: the header is row 1, the first data row is row 2. The console shows a summary by
rule and the first 20 problems. To get all of them (up to 10,000 are listed; all are counted):

```sh
renkou import persons persons.xlsx --errors errors.xlsx   # or --errors errors.csv
```

The report has the columns 行 Row, 列 Column, 值 Value, 规则 Rule, 说明, Message and 级别 Severity
(错误 error or 提示 warning). When an import succeeds with data-quality warnings, `--errors` writes
the warnings to the same file; when there is nothing to report no file is written. ID numbers are
masked in duplicate and conflict messages.

**Re-importing the same file adds nothing.** A row whose key (代码 for orgs, 户编号 for households,
身份证号码 or 临时编号 for persons) already exists with the same content is counted as *unchanged*.
The result line says how many rows were new and unchanged, and notes when the very same file
(same SHA-256) was imported before. For persons, "same content" means the same key(s), name, sex, birth date
and ethnicity and — when the row gives 户籍地代码 and 居住地代码 — the same registration (units,
household, relation, hukou type, 登记日期); a row that leaves those columns empty claims nothing
about them. For orgs, every column is compared with the unit as it was created, so an orgs file
still re-imports as unchanged after a later `renkou org rename`.

**A row whose key exists with different content is refused** (rule `conflicts_existing`). Do not
edit and re-import; record a correction instead, which keeps the old value in the audit trail:

* person identity (姓名, 性别, 出生日期, 身份证号码, 民族):
  `renkou person amend KEY --version N --reason "…" --name … --birth-date …`
  (`N` is the version shown by `renkou person show KEY`). This is also how a newborn imported with a
  临时编号 gets their ID number (`--id-number`).
* organisation units: a new name from a date with `renkou org rename`, a merger (并村) with
  `renkou org merge`; the earlier version stays in the history. Level, parent and 设立日期 cannot be
  changed after import in this version.
* households: there is no amend command yet.

**Events have no key: an event is identified by its content** (every column except 来源). A row
identical to an event already recorded is *unchanged*; a row that differs in any column is a new
event. So a wrong event is not fixed by importing a changed row. Instead:

* `renkou event correct EVENT_ID --reason "…" [--date …] [--place …] [--certificate-no …]` records a
  new event that supersedes the wrong one;
* for any other field, `renkou event retract EVENT_ID --reason "…"`, then import the right row.

Event numbers (`#`) are shown by `renkou person show KEY`.

An events file may be imported again at any time: events already recorded, as recorded or as
corrected, count as unchanged (a death already on the register is not refused as a "second death").

## Encodings and dates

* **CSV encodings**: UTF-8 with or without a BOM, or GB18030 (which covers GBK/GB2312, what Excel
  writes for "CSV" on Chinese Windows). The encoding is detected; anything else is refused.
* **XLSX** (`.xlsx`, `.xlsm`): the first sheet, every row of it (the size a sheet declares is not
  trusted); cells formatted as dates are read as dates. A damaged workbook is refused as a whole
  ("无法读取该 Excel 文件 / cannot read the Excel file"). Other file types are refused.
* **A file with a header and no rows** is refused: there is nothing to import.
* **Dates** in any date column: `YYYY-MM-DD`, `YYYY/M/D`, `YYYY.M.D`, `YYYYMMDD` or `YYYY年M月D日`
  (e.g. `2024-03-01`, `2024/3/1`, `2024.03.01`, `20240301`, `2024年3月1日`). Dates in the future are refused.
* **Text** longer than its column holds (e.g. 32 characters for a 户编号, 50 for a 姓名; 64 for a
  date, an ID number or a choice from a list) is refused, and so is text holding invisible or control
  characters: NUL, the text-direction controls U+202A–U+202E and U+2066–U+2069, a byte-order mark
  (U+FEFF) inside a value. The error report shows them as `⟨U+202E⟩`. A BOM at the very start of a
  CSV file is fine.

## Import order

References must exist before they are used, so import in this order:

1. `orgs` — the county, townships, villages (and groups, work units). A parent may be in the same
   file, on an **earlier** row (list the county first, then townships, then villages).
2. `households` — each names its village or group (所在单位代码).
3. `persons` — may name units (户籍地代码, 居住地代码) and a household (户编号).
4. `events` — name persons by ID number or 临时编号 (当事人, 配偶, 母亲, 父亲), units and households.
   For a `birth`, import the child as a person first (usually with a 临时编号), then the birth event.

```sh
renkou import orgs orgs.xlsx
renkou import households households.xlsx
renkou import persons persons.xlsx --errors persons-errors.xlsx
renkou import events events.xlsx --errors events-errors.xlsx
```
"""


def page() -> str:
    """The page as it should read (docs/gen.py and tests/test_docs.py compare it with the file)."""
    tables = "\n\n".join(column_table(k) for k in templates.KINDS)
    return PAGE.format(kinds=kinds_table(), tables=tables, event_kinds=event_kind_table())


def main() -> None:
    OUT.write_text(page(), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
