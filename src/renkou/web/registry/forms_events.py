"""The forms for events of people already registered: death, marriage, divorce and move.

Each checks its event with renkou.registry.events.check_event (what the importer runs), and the
other side of a marriage or divorce against its own life dates too (check_event looks at the
subject only). A move goes to a village of the county (inside or outside the account's area: people
do move away) or to a place outside the county given by its 6- or 12-digit division code.
"""

from __future__ import annotations

from renkou.core.problems import Problem, problem
from renkou.registry import events
from renkou.web.i18n import gettext
from renkou.web.registry.forms_birth import keep_new, parent_problems
from renkou.web.registry.forms_common import Again, Entered, Spec, date_field, person_field, text_field, unit_field

WRITE = ("event:write",)


def _check(s, values: dict, person, probs: list[Problem], *, drop_fields_rule: bool) -> None:
    """The registry's checks of an event's values, added where a field has no problem yet."""
    found = events.check_event(values, person, events.death_date(s, person.id) if person is not None else None)
    if drop_fields_rule:  # a missing value is already said at its own field
        found = [p for p in found if p.rule != "event_fields"]
    keep_new(probs, found)


def save_death(s, e: Entered) -> int:
    probs: list[Problem] = []
    p = person_field(s, e, "person", probs)
    d = date_field(e, "date", probs)
    place = text_field(e, "place", probs, 200)
    _check(
        s,
        {"kind": "death", "person_id": p.id if p else None, "date": d, "source": "village", "place": place},
        p,
        probs,
        drop_fields_rule=False,
    )
    if probs:
        raise Again(probs)
    events.record(s, e.officer, "death", p, d, source="village", **({"place": place} if place else {}))
    return p.id


def _pair(kind: str):
    def save(s, e: Entered) -> int:
        probs: list[Problem] = []
        p = person_field(s, e, "person", probs)
        q = person_field(s, e, "partner", probs)
        d = date_field(e, "date", probs)
        values = {"kind": kind, "person_id": p.id if p else None, "partner_id": q.id if q else None, "date": d, "source": "village"}
        _check(s, values, p, probs, drop_fields_rule=q is None)
        keep_new(probs, parent_problems(s, q, "partner", d, death=True))  # the partner, too, is born and alive on that day
        if probs:
            raise Again(probs)
        events.record(s, e.officer, kind, p, d, source="village", partner=q)
        return p.id

    return save


def save_move(s, e: Entered) -> int:
    probs: list[Problem] = []
    p = person_field(s, e, "person", probs)
    d = date_field(e, "date", probs)
    scope = e["scope"]
    if not scope:
        probs.append(problem("required", "scope", ""))
    unit = code = None
    if e["dest"] == "unit":
        unit = unit_field(s, e, "dest_unit", probs, county_wide=True)
    elif e["dest"] == "outside":
        code = e["dest_code"]
        if not code:
            probs.append(problem("required", "dest_code", ""))
        elif not (code.isascii() and code.isdigit() and len(code) in (6, 12)):  # as the importer reads destination codes
            detail = "a 6- or 12-digit division code" if e.lang == "en" else "应为 6 位或 12 位区划代码"
            probs.append(problem("code_format", "dest_code", code, detail=detail))
            code = None
    else:
        probs.append(problem("required", "dest", ""))
    place = text_field(e, "place", probs, 200)
    fields: dict = {}
    if unit is not None and scope in ("residence", "both"):
        fields["residence_unit"] = unit
    if unit is not None and scope in ("hukou", "both"):
        fields["hukou_unit"] = unit
    if code:
        fields["destination_code"] = code
    if place:
        fields["place"] = place
    values = {
        "kind": "move",
        "person_id": p.id if p else None,
        "date": d,
        "source": "village",
        "scope": scope or None,
        "residence_unit_id": unit.id if "residence_unit" in fields else None,
        "hukou_unit_id": unit.id if "hukou_unit" in fields else None,
        "destination_code": code,
        "place": place,
    }
    _check(s, values, p, probs, drop_fields_rule=any(x.field in ("dest", "dest_unit", "dest_code", "scope") for x in probs))
    if probs:
        raise Again(probs)
    events.record(s, e.officer, "move", p, d, source="village", scope=scope, **fields)
    return p.id


SPECS = (
    Spec(
        kind="death",
        path="/register/death",
        template="registry/form_death.html",
        title=lambda lg: gettext(lg, "Register a death"),
        names=("person", "date", "place"),
        permissions=WRITE,
        save=save_death,
        pickers=("person",),
        prefill=("person",),
    ),
    Spec(
        kind="marriage",
        path="/register/marriage",
        template="registry/form_pair.html",
        title=lambda lg: gettext(lg, "Register a marriage"),
        names=("person", "partner", "date"),
        permissions=WRITE,
        save=_pair("marriage"),
        pickers=("person", "partner"),
        prefill=("person", "partner"),
    ),
    Spec(
        kind="divorce",
        path="/register/divorce",
        template="registry/form_pair.html",
        title=lambda lg: gettext(lg, "Register a divorce"),
        names=("person", "partner", "date"),
        permissions=WRITE,
        save=_pair("divorce"),
        pickers=("person", "partner"),
        prefill=("person", "partner"),
    ),
    Spec(
        kind="move",
        path="/register/move",
        template="registry/form_move.html",
        title=lambda lg: gettext(lg, "Register a move"),
        names=("person", "date", "scope", "dest", "dest_unit", "dest_code", "place"),
        permissions=WRITE,
        save=save_move,
        pickers=("person",),
        units="county",
        prefill=("person",),
    ),
)
