"""What the eligibility service's decision means for the cycle, once the facts a person attested at
application are counted.

The eligibility service (renkou.benefits.eligibility.service.Eligibility.check) never infers an attested fact: it
answers "needs attestation" for it. The cycle holds the attestations (``attested`` of the
application, carried to the recipient), so here such a condition counts as met when, and only when,
it was attested; anything not met stays not met.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from renkou.benefits.eligibility.service import Eligibility


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    on: dt.date | None  # the day the decision was taken for
    failed: tuple[tuple[str, str, str], ...] = ()  # (key, zh, en) of conditions not met
    missing: tuple[tuple[str, str, str], ...] = ()  # attestations not given

    @property
    def zh(self) -> str:
        parts = [f"不符合：{zh}" for _, zh, _ in self.failed] + [f"未声明：{zh}" for _, zh, _ in self.missing]
        return "；".join(parts) or "符合条件"

    @property
    def en(self) -> str:
        parts = [f"not met: {en}" for _, _, en in self.failed] + [f"not attested: {en}" for _, _, en in self.missing]
        return "; ".join(parts) or "eligible"


def attestations(programme) -> tuple[str, ...]:
    """Keys of the facts a programme asks applicants to attest."""
    return tuple(c.key for c in programme.attestations)


def judge(decision, attested: dict, on: dt.date | None = None) -> Verdict:
    """The decision with the attested facts counted as met."""
    failed, missing = [], []
    for c in decision.conditions:
        if c.status == "met":
            continue
        item = (c.key, c.zh, c.en)
        if c.status == "needs_attestation":
            if c.key not in attested:
                missing.append(item)
        else:
            failed.append(item)
    return Verdict(not failed and not missing, on, tuple(failed), tuple(missing))


def made(attested: dict, where: str) -> dict[str, str]:
    """The attestations as the service takes them: key -> where and when they were recorded."""
    return {k: f"{where} {v}".strip() for k, v in attested.items()}


def on_day(
    eligibility: Eligibility,
    programme: str,
    person_id: int,
    on: dt.date,
    attested: dict,
    where: str = "",
    period_start: dt.date | None = None,
) -> Verdict:
    """The decision on ``on``; the attestations are handed to the service with where they were
    recorded, so that its explanation names them."""
    d = eligibility.check(programme, person_id, on, period_start=period_start, attested=made(attested, where))
    return judge(d, attested, on)


def for_year(eligibility: Eligibility, programme: str, person_id: int, year: int, attested: dict, where: str = "") -> Verdict:
    """Eligible for some of ``year``: as the candidates are judged (the programme's determination day,
    month-based conditions over the whole year), else on the first of any month (the service counts a
    month by its first day: someone who dies in June was eligible in January). The verdict returned
    when none is eligible is the determination day's, to explain why."""
    prog = eligibility.programmes[programme]
    first = on_day(eligibility, programme, person_id, prog.determination(year), attested, where, dt.date(year, 1, 1))
    if first.eligible:
        return first
    for m in range(1, 13):
        v = on_day(eligibility, programme, person_id, dt.date(year, m, 1), attested, where)
        if v.eligible:
            return v
    return first
