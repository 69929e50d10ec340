"""What a decision is made of: ``When`` it is about, the ``Decision``, one ``ConditionResult`` per
condition, and the ``Record`` each condition was decided from. Plain values: renkou.benefits.eligibility.conditions
makes them, renkou.benefits.eligibility.records names the records; nothing here evaluates anything."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from renkou.core.events import EVENT_KINDS

LABEL_PAIRS = {"person": ("人员", "person"), "attestation": ("声明", "attestation"), **{k: (v.zh, k) for k, v in EVENT_KINDS.items()}}
LABELS = {k: f"{zh} {en}" for k, (zh, en) in LABEL_PAIRS.items()}
STATUS_TEXT = {"met": ("满足", "met"), "not_met": ("不满足", "not met"), "needs_attestation": ("待申报核实", "needs attestation")}


def in_language(text: str, lang: str) -> str:
    """A text written "中文 / English" (the Chinese first) in one language; a text without the
    separator as it is."""
    zh, sep, en = text.partition(" / ")
    return text if not sep else (en if lang == "en" else zh)


@dataclass(frozen=True)
class When:
    """What a decision is about: the facts at the end of ``on``; month-based tests (the childcare
    months) look at the months from ``period_start`` to ``on``."""

    on: dt.date
    period_start: dt.date

    @classmethod
    def day(cls, on: dt.date) -> When:
        return cls(on, on.replace(day=1))


class Record(NamedTuple):
    """A registry record a condition was decided from: an event (kind, id, date) or a person."""

    kind: str
    event_id: int | None = None
    date: dt.date | None = None
    person_id: int | None = None
    note: str = ""

    def text(self, lang: str | None = None) -> str:
        """e.g. 死亡 death #23 2010-05-01（人员 person #18）; in one language when ``lang`` is "zh"
        (死亡 #23 2010-05-01（人员 #18）) or "en" (death #23 2010-05-01 (person #18))."""
        label = LABELS.get(self.kind, self.kind)
        if lang is not None:
            zh, en = LABEL_PAIRS.get(self.kind, (self.kind, self.kind))
            label = en if lang == "en" else zh
        parts = [label + (f" #{self.event_id}" if self.event_id is not None else "")]
        if self.kind == "person" and self.person_id is not None:
            parts[0] += f" #{self.person_id}"
        if self.date is not None:
            parts.append(self.date.isoformat())
        if self.person_id is not None and self.kind != "person":
            who = {None: "人员 person", "zh": "人员", "en": "person"}.get(lang, "人员")
            parts.append(f"({who} #{self.person_id})" if lang == "en" else f"（{who} #{self.person_id}）")
        if self.note:
            parts.append(self.note if lang is None else in_language(self.note, lang))
        return " ".join(parts)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "event_id": self.event_id,
            "date": self.date.isoformat() if self.date else None,
            "person_id": self.person_id,
            "note": self.note,
        }


class ConditionResult(NamedTuple):
    key: str
    status: str  # met | not_met | needs_attestation
    zh: str
    en: str
    records: tuple[Record, ...] = ()
    value: str = ""  # the fact as found, e.g. "2025-12-31 年龄 60 / age 60"

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "status": self.status,
            "zh": self.zh,
            "en": self.en,
            "value": self.value,
            "records": [r.to_json() for r in self.records],
        }


@dataclass(eq=False)
class Decision:
    """One beneficiary's decision: ``eligible`` True (every condition met), False (some not met) or None
    (only attestations missing); ``conditions``, one per condition of the programme, in its order."""

    programme: str
    person_id: int
    on: dt.date
    eligible: bool | None
    child_id: int | None = None  # the child of the childcare subsidy, or the only child of a parent
    variant: dict = field(default_factory=dict)  # e.g. {"child": "died", "area": "rural"}
    unit_code: str | None = None  # the beneficiary's hukou unit on the date
    unit_name: str | None = None
    name: str | None = None
    id_masked: str | None = None
    explain: Callable[[], tuple[ConditionResult, ...]] | None = field(default=None, repr=False)
    _conditions: tuple[ConditionResult, ...] | None = field(default=None, repr=False)

    @property
    def conditions(self) -> tuple[ConditionResult, ...]:
        """Read from the evaluated row when first asked for (a county's list need not format them all)."""
        if self._conditions is None:
            self._conditions = self.explain() if self.explain else ()
        return self._conditions

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Decision) and self._key() == other._key()

    def _key(self) -> tuple:
        return (
            self.programme,
            self.person_id,
            self.on,
            self.eligible,
            self.child_id,
            self.variant,
            self.unit_code,
            self.unit_name,
            self.name,
            self.id_masked,
            self.conditions,
        )

    def condition(self, key: str) -> ConditionResult:
        return next(c for c in self.conditions if c.key == key)

    def to_json(self) -> dict:
        return {
            "programme": self.programme,
            "person_id": self.person_id,
            "on": self.on.isoformat(),
            "eligible": self.eligible,
            "child_id": self.child_id,
            "variant": self.variant,
            "unit": self.unit_code,
            "unit_name": self.unit_name,
            "name": self.name,
            "id_number": self.id_masked,
            "conditions": [c.to_json() for c in self.conditions],
        }
