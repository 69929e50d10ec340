"""Resident ID numbers (居民身份证号码, GB 11643-1999).

18 characters: 6-digit address code (GB/T 2260, possibly retired) + birth date YYYYMMDD + 3-digit
sequence (odd = male) + check character over ISO 7064 MOD 11-2. Old 15-digit numbers have a 2-digit
year and no check character; they convert by inserting "19" and computing the check character.

Pure functions: nothing here reads the clock; pass ``today`` where the future matters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import mul

from renkou.core.problems import Problem, problem

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ASCII_OFFSET = 48 * sum(WEIGHTS)
CHECK_CHARS = "10X98765432"  # index = S mod 11
_DIGITS = frozenset("0123456789")


def check_char(first17: str) -> str:
    """The check character for 17 digits."""
    if len(first17) != 17 or not set(first17) <= _DIGITS:
        raise ValueError("check_char needs exactly 17 digits")
    # the ASCII codes are digit + 48: subtract 48 x the sum of the weights once (hot in bulk imports)
    s = sum(map(mul, WEIGHTS, first17.encode("ascii"))) - _ASCII_OFFSET
    return CHECK_CHARS[s % 11]


@dataclass(frozen=True)
class IdNumber:
    """A valid 18-character ID number and what it says."""

    value: str
    converted_from_15: bool = False

    @property
    def address_code(self) -> str:
        return self.value[:6]

    @property
    def birth_date(self) -> dt.date:
        v = self.value
        return dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))

    @property
    def sequence(self) -> int:
        return int(self.value[14:17])

    @property
    def sex(self) -> str:
        """'M' or 'F' from the parity of the sequence digit."""
        return "M" if int(self.value[16]) % 2 == 1 else "F"

    def masked(self) -> str:
        return mask(self.value)


_FULL_WIDTH = str.maketrans("０１２３４５６７８９ＸｘＸ", "0123456789XXX")


def normalize(raw: str) -> str:
    """Strip spaces (also full-width), turn full-width digits and Ｘ (common with Chinese input
    methods) into ASCII, and upper-case a trailing x."""
    return raw.strip().replace(" ", "").replace("\u3000", "").translate(_FULL_WIDTH).upper()


def _date_or_none(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def validate(raw: str, *, today: dt.date | None = None, field: str = "id_number") -> tuple[IdNumber | None, list[Problem]]:
    """Check one ID number. Returns the parsed number (15-digit ones converted) or the problems.

    Problems are reasons the number itself is impossible: length, characters, a birth date that does
    not exist (or lies after ``today``), a wrong check character, an address code that is no place
    (000000, or any code of the non-existent province 00). A retired address code is fine.
    """
    v = normalize(raw)
    if len(v) == 15:
        if not set(v) <= _DIGITS:
            return None, [problem("id_chars", field, raw)]
        y, m, d = 1900 + int(v[6:8]), int(v[8:10]), int(v[10:12])
        if _date_or_none(y, m, d) is None:
            return None, [problem("id_date", field, raw, date=f"19{v[6:12]}")]
        if v.startswith("00"):
            return None, [problem("id_address", field, raw, code=v[:6])]
        first17 = v[:6] + "19" + v[6:]
        return IdNumber(first17 + check_char(first17), converted_from_15=True), []
    if len(v) != 18:
        return None, [problem("id_length", field, raw)]
    first17, last = v[:17], v[17]
    if not set(first17) <= _DIGITS or not (last in _DIGITS or last == "X"):
        return None, [problem("id_chars", field, raw)]
    problems: list[Problem] = []
    if v.startswith("00"):  # no province has the code 00: 000000 is no place at all
        problems.append(problem("id_address", field, raw, code=v[:6]))
    birth = _date_or_none(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    if birth is None or birth.year < 1800:
        problems.append(problem("id_date", field, raw, date=v[6:14]))
    elif today is not None and birth > today:
        problems.append(problem("id_future", field, raw, date=birth.isoformat()))
    expected = check_char(first17)
    if last != expected:
        problems.append(problem("id_check", field, raw, expected=expected, actual=last))
    if problems:
        return None, problems
    return IdNumber(v), []


def parse(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Like `validate` but raises ValueError with the bilingual reasons."""
    num, problems = validate(raw, today=today)
    if num is None:
        raise ValueError("; ".join(f"{p.zh} / {p.en}" for p in problems))
    return num


def is_valid(raw: str) -> bool:
    return validate(raw)[0] is not None


def make(address_code: str, birth: dt.date, sequence: int) -> str:
    """Build a valid 18-character number (for generated data and tests)."""
    if len(address_code) != 6 or not address_code.isdigit():
        raise ValueError("address code must be 6 digits")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be 0..999")
    first17 = f"{address_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


def to_15(value18: str) -> str:
    """The old 15-digit form of an 18-digit number born in the 1900s (for generated data and tests)."""
    if value18[6:8] != "19":
        raise ValueError("only numbers of people born 1900-1999 had a 15-digit form")
    return value18[:6] + value18[8:17]


def discrepancies(num: IdNumber, *, sex: str | None, birth_date: dt.date | None, field: str = "id_number") -> list[Problem]:
    """Data-quality findings where the number disagrees with the record (not a reason to reject it)."""
    out: list[Problem] = []
    if sex in ("M", "F") and sex != num.sex:
        zh = {"M": "男", "F": "女"}
        en = {"M": "male", "F": "female"}
        out.append(problem("id_sex_mismatch", field, num.value, id_sex=zh[num.sex], sex=zh[sex], id_sex_en=en[num.sex], sex_en=en[sex]))
    if birth_date is not None and birth_date != num.birth_date:
        out.append(problem("id_birth_mismatch", field, num.value, id_date=num.birth_date.isoformat(), date=birth_date.isoformat()))
    return out


def mask(value: str) -> str:
    """Show the address code and the last 4 characters: 110105********002X."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
