"""How the import page shows a problem of an import (renkou.exchange.importer): a ``Finding`` — row,
column, value, rule and both messages — for the screen, the job's record and the error report.

The area rule itself (which rows reach outside the account's area) is the importer's
(renkou.exchange.area), applied to every import from the web or the command line alike; this module
only carries its problems, like the importer's own, to the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from renkou.core.problems import Problem


def N_(message: str) -> str:
    """Marks a message for extraction (translated where it is shown)."""
    return message


@dataclass(frozen=True)
class Finding:
    """One problem of one row for the import page and its error report, with the message in both languages."""

    row: int | None
    field: str
    value: str
    rule: str
    zh: str
    en: str

    @classmethod
    def of(cls, p: Problem) -> Finding:
        return cls(p.row, p.field, p.value, p.rule, p.zh, p.en)

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "value": self.value, "rule": self.rule, "zh": self.zh, "en": self.en}
