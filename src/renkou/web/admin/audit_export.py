"""The audit viewer's entries as an XLSX file (renkou.web.admin.audit's /audit/export.xlsx): one row per
entry with the page's names, local times and masking; every text cell through renkou.core.cells, so a
value that begins like a formula stays text."""

from __future__ import annotations

import io
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from renkou.core.cells import xlsx_text

__all__ = ["COLUMNS", "XLSX", "disposition", "workbook"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# (zh, en) of each column
COLUMNS = (
    ("时间", "Time"),
    ("操作人", "Who"),
    ("用户名", "User name"),
    ("渠道", "Channel"),
    ("来源", "Origin"),
    ("说明", "Note"),
    ("操作", "Action"),
    ("数据表", "Table"),
    ("行号", "Row"),
    ("涉及人员", "Person"),
    ("身份证号（脱敏）", "ID number (masked)"),
    ("变更（原值 → 新值）", "Change (before → after)"),
    ("原因", "Reason"),
)


def _change(row: dict) -> str:
    parts = []
    for c in row["change"]:
        parts.append(f"{c['field']}: {c['before']} → {c['after']}" if c["before"] or c["after"] else c["field"])
    return "；".join(parts) if parts else row["detail"]


def workbook(rows: list[dict], labels: dict, lang: str, *, zone: str) -> bytes:
    """The entries (as renkou.web.admin.audit shows them) as an XLSX file's bytes."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审计日志" if lang != "en" else "Audit trail")
    head = [en if lang == "en" else zh for zh, en in COLUMNS]
    head[0] += f" ({zone})"
    ws.append(head)

    def cell(value):
        return xlsx_text(WriteOnlyCell(ws, value)) if isinstance(value, str) else value

    for r in rows:
        values = [
            r["at"],
            r["actor"],
            r["username"],
            labels["channels"].get(r["channel"], r["channel"]),
            r["origin"],
            r["note"],
            labels["actions"].get(r["action"], r["action"]),
            r["table_name"],
            r["row"],
            r["person_name"],
            r["person_key"],
            _change(r),
            r["reason"],
        ]
        ws.append([cell(v) for v in values])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def disposition(lang: str) -> str:
    name = "Audit trail.xlsx" if lang == "en" else "审计日志.xlsx"
    return f"attachment; filename=\"audit.xlsx\"; filename*=UTF-8''{quote(name)}"
