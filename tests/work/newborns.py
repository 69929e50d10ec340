"""Babies for the work-queue tests: born alive in a village of the benefit tests' county (tests/benefits),
with a temporary key only — or an ID number — perhaps died since, made through the registry's services."""

from __future__ import annotations

import datetime as dt

from renkou.registry import events, orgs, persons
from renkou.storage.schema import Person
from tests.benefits.cycle_kit import Desk
from tests.benefits.families import ACTOR, SYSTEM

D = dt.date


def newborn(desk: Desk, key: str, where: str, born: dt.date, *, died: dt.date | None = None, with_id: bool = False) -> int:
    """A baby born alive in ``where`` with a temporary key only (or an ID number), perhaps died since."""
    b = desk.b
    mother = f"mum_{where}"
    if mother not in b.ids:
        b.person(mother, "F", D(1995, 1, 1), where=where)
    with desk.db.write(ACTOR) as s:
        p = persons.add_person(
            s,
            SYSTEM,
            name=f"测{key}",
            sex="F",
            birth_date=born,
            id_number=b._id_number(born, "F") if with_id else None,  # the builder's own numbering
            temp_key=None if with_id else f"T{key.upper()}",
        )
        unit = orgs.get_unit(s, where)
        events.record(
            s,
            SYSTEM,
            "birth",
            p,
            born,
            source="hospital",
            mother=s.get(Person, b.ids[mother]),
            hukou_unit=unit,
            residence_unit=unit,
            hukou_type="agricultural",
        )
        b.ids[key] = p.id
    if died is not None:
        b.die(key, died)
    return b.ids[key]
