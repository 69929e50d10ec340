"""The birth form: a new person (the child) and their birth event, with the duplicate check.

The child's fields go through renkou.registry.persons.check_person and the event through
renkou.registry.events.check_event, the checks the importer runs; the ID number is optional (a
temporary key is issued without one). Before saving, the registry's duplicate check
(renkou.registry.persons.possible_duplicates) looks for people of the account's area who may already
be registered; the form then lists them and saves only with the "different person" box ticked (the
confirmation is written to the changeset's note). An ID number held by somebody outside the area is
refused with only that said: the township or county must resolve it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from renkou.core import idnumber
from renkou.core.problems import Problem, problem
from renkou.registry import asof, events, persons
from renkou.storage.schema import Household, OrgUnit, Person
from renkou.web.deps import db_id
from renkou.web.i18n import gettext
from renkou.web.registry.forms_common import Again, Entered, Spec, date_field, errors_of, person_field, person_row, text_field, unit_field


def N_(msgid: str) -> str:
    """Marks a message for extraction (the gettext no-op); translated where it is shown."""
    return msgid


@dataclass(frozen=True)
class Message:
    """The form's own words at a field, shown like a registry problem (which has field, zh and en)."""

    field: str
    zh: str
    en: str


NAMES = ("name", "sex", "birth_date", "id_number", "mother", "father", "village", "household", "place", "certificate_no")
TAKEN = N_("This ID number is already registered: the person is listed below. Open their page instead.")


def _why(lang: str, reasons: set[str]) -> str:
    text = {
        "id": gettext(lang, "same ID number"),
        "name": gettext(lang, "same name and birth date"),
        "pinyin": gettext(lang, "same name in pinyin and same birth date"),
        "mother": gettext(lang, "same mother, born within 7 days"),
    }
    return "; ".join(text[r] for r in ("id", "name", "pinyin", "mother") if r in reasons)


def keep_new(probs: list[Problem], more: list[Problem]) -> None:
    """Add ``more`` to ``probs``, except on fields that have a problem already (one message a field:
    an empty date is "required", not also "not a valid date")."""
    seen = {p.field for p in probs}
    probs += [p for p in more if p.field not in seen]


def parent_problems(s, p: Person | None, field: str, d: dt.date | None, *, death: bool) -> list[Problem]:
    """The child's birth must fall within the parent's life (the father's death may come before it)."""
    if p is None or d is None:
        return []
    out = []
    if d < p.birth_date:
        out.append(problem("before_birth", field, d, date=d, birth=p.birth_date))
    died = events.death_date(s, p.id) if death else None
    if died is not None and d > died:
        out.append(problem("after_death", field, d, date=d, death=died))
    return out


def save_birth(s, e: Entered) -> int:
    probs: list[Problem] = []
    mother = person_field(s, e, "mother", probs)
    father = person_field(s, e, "father")
    village = unit_field(s, e, "village", probs)
    d = date_field(e, "birth_date", probs)
    if not e["sex"]:
        probs.append(problem("required", "sex", ""))
    if not e["name"]:
        probs.append(problem("required", "name", ""))
    idn = e["id_number"] or None
    norm, person_probs = persons.check_person(
        id_number=idn, temp_key=None if idn else "issued-on-save", name=e["name"], sex=e["sex"], birth_date=d, ethnicity="01", today=e.today
    )
    keep_new(probs, person_probs)
    hh = None
    if e["household"]:
        hh = s.scalar(select(Household).where(Household.number == e["household"]))
        if hh is None or (e.scope.unit_ids is not None and hh.unit_id not in e.scope.unit_ids):  # elsewhere: as if unknown
            probs.append(problem("unknown_household", "household", e["household"], number=e["household"]))
            hh = None
    place, cert = text_field(e, "place", probs, 200), text_field(e, "certificate_no", probs, 32)
    fields = {
        k: v
        for k, v in {
            "mother": mother,
            "father": father,
            "hukou_unit": village,
            "residence_unit": village,
            "household": hh,
            "relation": "child" if hh else None,
            "place": place,
            "certificate_no": cert,
        }.items()
        if v is not None
    }
    values = {"kind": "birth", "person_id": None, "date": d, "source": "village"} | {
        (f"{k}_id" if hasattr(v, "id") else k): getattr(v, "id", v) for k, v in fields.items()
    }
    event_probs = events.check_event(values, None, None)
    if mother is None or village is None:  # "a birth needs: mother, ..." is already said at those fields
        event_probs = [p for p in event_probs if p.rule != "event_fields"]
    keep_new(probs, [p if p.field != "date" else problem(p.rule, "birth_date", p.value, **p.params) for p in event_probs])
    keep_new(probs, parent_problems(s, mother, "mother", d, death=True) + parent_problems(s, father, "father", d, death=False))
    if probs:
        raise Again(probs)
    found = persons.possible_duplicates(s, e.officer, name=e["name"], birth_date=d, id_number=norm, mother_id=mother.id)
    if found.id_elsewhere:  # somebody outside the area has this number: that much, and nothing about them
        raise Again([problem("registered_elsewhere", "id_number", idnumber.mask(norm or ""))])
    dupes = [person_row(p) | {"why": _why(e.lang, set(why)), "in_area": True} for p, why in found.inside]
    if any("id" in why for _, why in found.inside):  # the registry refuses a second person with this number (conflicts_existing,
        # worded for imports): say it in the form's words, with the person listed
        raise Again([Message("id_number", gettext("zh", TAKEN), gettext("en", TAKEN))], dupes=dupes)
    seen = ",".join(str(x["pid"]) for x in dupes)
    confirmed = e["confirm_new"] == "1" and set(seen.split(",")) <= set(e["seen"].split(","))
    discrepancies = idnumber.discrepancies(idnumber.validate(norm)[0], sex=e["sex"], birth_date=d) if norm else []
    if (dupes and not confirmed) or (discrepancies and e["confirm_id"] != "1"):
        raise Again(
            status=200,
            dupes=dupes,
            seen=seen,
            confirm_dupes=bool(dupes),
            warnings=errors_of(discrepancies, e.lang),
            confirm_id=bool(discrepancies),
        )
    if dupes:
        s.info["note"] += f"; confirmed: not the same person as #{', #'.join(seen.split(','))}"
    # add_person's own "issue a key when none is given" is unreachable (check_person refuses first): issue it here
    child = persons.add_person(
        s,
        e.officer,
        name=e["name"],
        sex=e["sex"],
        birth_date=d,
        id_number=idn,
        today=e.today,
        temp_key=None if idn else persons.new_temp_key(d),
    )
    hukou_type = asof.person_state(s, mother, d).hukou_type  # the child's hukou type follows the mother's
    events.record(s, e.officer, "birth", child, d, source="village", **fields, **({"hukou_type": hukou_type} if hukou_type else {}))
    return child.id


def spouse_rows(s, user, mother: str) -> list[dict]:
    """The husband of the mother picked (an internal number), as a choice for the father: only when
    the mother and he are both in the account's area (otherwise nothing, whatever the reason)."""
    mid = db_id(mother)
    m = s.get(Person, mid) if mid is not None else None
    if m is None or m.sex != "F" or not user.scope.has_person(s, m):
        return []
    husband = asof.person_state(s, m, dt.date.today()).spouse_id
    h = s.get(Person, husband) if husband is not None else None
    if h is None or h.sex != "M" or not user.scope.has_person(s, h):
        return []
    return [person_row(h)]


def _defaults(s, user, values: dict[str, str]) -> dict:
    """A new form: the account's own village, or the preset mother's village and household; always the
    picked mother's husband as a choice for the father."""
    linked = {"father": spouse_rows(s, user, values.get("mother", ""))}
    if "name" in values:  # a submitted form keeps what was entered
        return {"linked": linked}
    own = s.get(OrgUnit, user.account.unit_id)
    if own is not None and own.level == "village":
        values["village"] = own.code
    mother = db_id(values.get("mother", ""))
    if mother is not None:
        m = s.get(Person, mother)
        if m is not None:
            st = asof.person_state(s, m, dt.date.today())
            values.setdefault("household", st.household or "")
            if "village" not in values and st.residence_unit:
                values["village"] = st.residence_unit
    return {"linked": linked}


SPEC = Spec(
    kind="birth",
    path="/register/birth",
    template="registry/form_birth.html",
    title=lambda lg: gettext(lg, "Register a birth"),
    names=NAMES,
    permissions=("person:write", "event:write"),
    save=save_birth,
    pickers=("mother", "father"),
    units="area",
    prefill=("mother", "father"),
    context=_defaults,
)
