"""One shape for every report and ledger on screen or on paper: a title block, a header that may
span several rows (merged cells), body rows and notes. Renderers (renkou.stats.render) turn it into
CSV, XLSX and PDF; ``to_json`` gives the API's form."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

Value = int | float | str | None


def _plain(v):
    """A cell value as JSON has it (dates as ISO text)."""
    return v.isoformat() if isinstance(v, dt.date) else v


@dataclass(frozen=True)
class Column:
    """A body column. ``header`` is its path from the top header row down, e.g. ("出生", "男"):
    consecutive columns sharing a prefix get a merged cell; a shorter path spans down to the last
    header row."""

    key: str
    header: tuple[str, ...]
    header_en: tuple[str, ...]
    kind: str = "count"  # count | rate | text | date
    decimals: int = 0
    unit: str = ""  # "" | "‰" | "%"


@dataclass(frozen=True)
class Row:
    values: tuple[Value, ...]
    code: str | None = None  # the organisation unit's code for unit rows
    is_total: bool = False


@dataclass(frozen=True)
class Chart:
    """Data for a figure printed with the table: for now the population pyramid."""

    kind: str  # "pyramid"
    labels: tuple[str, ...]  # age groups, youngest first
    male: tuple[int, ...]
    female: tuple[int, ...]


@dataclass(frozen=True)
class Table:
    key: str  # report or ledger key, e.g. "monthly"
    title: str
    title_en: str
    unit_code: str
    unit_name: str
    period_label: str
    period_label_en: str
    prepared_by: str
    prepared_on: dt.date
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()
    notes_en: tuple[str, ...] = ()
    chart: Chart | None = None
    meta: dict = field(default_factory=dict)  # period id, basis, units-as-of date...
    form_no: str = ""  # 表号 of an official form, printed in its head
    authority: str = ""  # 制定机关: who drew up the form
    notice: bool = (
        False  # a public notice (公示): its period is the posting period, its foot the posting unit's seal and the supervision telephone
    )

    @property
    def header_depth(self) -> int:
        return max((len(c.header) for c in self.columns), default=1)

    def column(self, key: str) -> int:
        for i, c in enumerate(self.columns):
            if c.key == key:
                return i
        raise KeyError(key)

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "title_en": self.title_en,
            "unit": {"code": self.unit_code, "name": self.unit_name},
            "period": {"label": self.period_label, "label_en": self.period_label_en, **self.meta.get("period", {})},
            "prepared_by": self.prepared_by,
            "prepared_on": self.prepared_on.isoformat(),
            "columns": [
                {
                    "key": c.key,
                    "header": list(c.header),
                    "header_en": list(c.header_en),
                    "kind": c.kind,
                    "decimals": c.decimals,
                    "unit": c.unit,
                }
                for c in self.columns
            ],
            "rows": [{"code": r.code, "total": r.is_total, "values": [_plain(v) for v in r.values]} for r in self.rows],
            "notes": list(self.notes),
            "notes_en": list(self.notes_en),
            "chart": None
            if self.chart is None
            else {
                "kind": self.chart.kind,
                "labels": list(self.chart.labels),
                "male": list(self.chart.male),
                "female": list(self.chart.female),
            },
            "meta": {k: v for k, v in self.meta.items() if k != "period"},
        }
