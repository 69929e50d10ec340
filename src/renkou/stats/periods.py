"""Reporting periods: month, quarter, half-year, year, statistical (financial) year, year to date and
date ranges; parsed from text, labelled in Chinese and English, written as DHIS2 period ids and as ADX
(ISO 8601 start/duration) periods. ``Period(start, end, kind)`` checks the dates fit the kind (both
inclusive) and derives ``id``, ``label`` and ``label_en``; ``parse(p.id) == p`` and ``parse(p.label) == p``.

Besides the codes (2024Q1, 2024-03, 2023SY...) ``parse`` reads the Chinese spellings people type:
2026年, 2026年度, 2026年上半年, 2026年第4季度, 2026年四季度, 2025年12月, 2025年12月份, 2026年1-3月,
2026年1月至3月累计, 2025年10月至2026年3月, 2024年1月1日至2024年3月31日, 2025统计年度 — full-width or
Chinese numerals too. A Chinese "YYYY统计年度" is named by the year it ends in (the old family-planning
statistical year ran from 1 October of the year before to 30 September), so with the statistical year
starting in October 2025统计年度 is 2024-10-01..2025-09-30, while the code 2025SY (DHIS2's financial
year) starts in 2025. A month span from January of one year ("2026年1-3月") is the year to date, as
the statistical bulletins print it; any other span is a range. Pure: no I/O."""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from renkou.errors import UserError

KINDS = ("month", "quarter", "half", "year", "statyear", "ytd", "range")
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = tuple("January February March April May June July August September October November December".split())
DHIS2_FINANCIAL = {4: "April", 7: "July", 10: "Oct", 11: "Nov"}  # the only financial years DHIS2 has
MIN_YEAR, MAX_YEAR, MAX_RANGE_YEARS = 1900, 2200, 10
EXAMPLES = "2024、2024-03、2024Q1、2024S1、2023Oct、2023SY、2024-03YTD、2024YTD、2024-01-01/2024-03-31、2024-01-01/P3M"
EXAMPLES_ZH = (
    "2026年、2026年上半年、2026年第4季度、2025年12月、2026年1-3月（累计）、2025统计年度、2025年10月至2026年3月、2026年1月1日至2026年3月31日"
)
_BY_NAME = {n.lower(): i for names in (MONTH_NAMES, MONTH_ABBR) for i, n in enumerate(names, 1)} | {"sept": 9}


def month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def add_months(d: date, n: int) -> date:
    """``d`` moved by ``n`` calendar months, the day clamped to the month's length (31 Jan + 1 → 29 Feb)."""
    y, m0 = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m0 + 1, min(d.day, calendar.monthrange(y, m0 + 1)[1]))


def whole_months(start: date, end: date) -> int | None:
    """How many calendar months ``start``..``end`` spans if it runs from a 1st to a month end, else None."""
    if start.day != 1 or end != month_end(end.year, end.month) or end < start:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _year_earlier(d: date) -> date:
    """The same day a year earlier; a month end stays a month end (28 Feb 2025 → 29 Feb 2024)."""
    return month_end(d.year - 1, d.month) if d == month_end(d.year, d.month) else add_months(d, -12)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    kind: str
    id: str = field(init=False, compare=False)
    label: str = field(init=False, compare=False, repr=False)
    label_en: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        s, e, k = self.start, self.end, self.kind
        n = whole_months(s, e) if isinstance(s, date) and isinstance(e, date) and s <= e else -1
        ok = n != -1 and {
            "month": n == 1,
            "quarter": n == 3 and s.month % 3 == 1,
            "half": n == 6 and s.month in (1, 7),
            "year": n == 12 and s.month == 1,
            "statyear": n == 12,
            "ytd": (s.month, s.day) == (1, 1) and e.year == s.year,
            "range": e < add_months(s, 12 * MAX_RANGE_YEARS),
        }.get(k, False)
        if not ok:
            raise UserError(
                f"统计期无效：{s} 至 {e} 不是“{k}”期。", f"Invalid period: {s} to {e} is not a '{k}' period.", code="bad_period"
            )
        for name, value in zip(("id", "label", "label_en"), self._names(), strict=True):
            object.__setattr__(self, name, value)

    def _names(self) -> tuple[str, str, str]:
        s, e, k, y = self.start, self.end, self.kind, f"{self.start.year:04d}"
        q, h = (s.month + 2) // 3, (s.month + 5) // 6
        if k == "month":
            return f"{y}-{s.month:02d}", f"{y}年{s.month}月", f"{MONTH_NAMES[s.month - 1]} {y}"
        if k in ("quarter", "half", "year"):
            return {
                "quarter": (f"{y}Q{q}", f"{y}年第{q}季度", f"Q{q} {y}"),
                "year": (y, f"{y}年", y),
                "half": (f"{y}S{h}", f"{y}年{'上下'[h - 1]}半年", f"{('First', 'Second')[h - 1]} half of {y}"),
            }[k]
        if k == "statyear":
            return (
                f"{y}{MONTH_ABBR[s.month - 1]}",
                f"{y}年{s.month}月至{e.year}年{e.month}月统计年度",
                f"Statistical year {MONTH_ABBR[s.month - 1]} {y} to {MONTH_ABBR[e.month - 1]} {e.year}",
            )
        if k == "ytd" and whole_months(s, e):
            to_zh, to_en = ("", "") if e.month == 1 else (f"至{e.month}月", f" to {MONTH_ABBR[e.month - 1]}")
            return f"{y}-{e.month:02d}YTD", f"{y}年1月{to_zh}累计", f"Jan{to_en} {y} (year to date)"
        if k == "ytd":
            return f"{e}YTD", f"{y}年1月1日至{e.month}月{e.day}日累计", f"1 Jan to {e.day} {MONTH_ABBR[e.month - 1]} {y} (year to date)"
        return f"{s}/{e}", f"{y}年{s.month}月{s.day}日至{e.year:04d}年{e.month}月{e.day}日", f"{s} to {e}"

    def __str__(self) -> str:
        return self.id

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def day_before_start(self) -> date:
        """The day before the start: population at the end of that day is the period-start stock."""
        return self.start - timedelta(days=1)

    def contains(self, d: date) -> bool:
        return self.start <= (d.date() if isinstance(d, datetime) else d) <= self.end

    def previous_year(self) -> Period:
        """The same period one year earlier (month ends stay month ends)."""
        return Period(_year_earlier(self.start), _year_earlier(self.end), self.kind)

    def months(self) -> list[Period]:
        """Calendar months tiling the period: whole months as "month" periods; a partial first or last
        month (ranges, day-precise YTD) as a "range" clipped to the period, so counts add up exactly."""
        out, d = [], self.start
        while d <= self.end:
            me = month_end(d.year, d.month)
            out.append(Period(d, min(me, self.end), "month" if d.day == 1 and me <= self.end else "range"))
            d = out[-1].end + timedelta(days=1)
        return out

    @property
    def dhis2(self) -> str:
        """The DHIS2 period id: 202403, 2024Q1, 2024S1, 2024, 2023April/July/Oct/Nov."""
        if self.kind in ("month", "quarter", "half", "year"):
            return self.id.replace("-", "")
        if self.kind == "statyear" and self.start.month in DHIS2_FINANCIAL:
            return f"{self.start.year:04d}{DHIS2_FINANCIAL[self.start.month]}"
        raise UserError(
            f"DHIS2 无法表示统计期“{self.label}”（{self.id}）：只支持月、季、半年、年和 4、7、10、11 月开始的财政年度。",
            f"DHIS2 cannot express the period '{self.label_en}' ({self.id}): it only has months, quarters, "
            "half-years, years and financial years starting in April, July, October or November.",
            code="period_not_dhis2",
        )

    @property
    def iso8601(self) -> str:
        """The ADX period: start date and duration (P1Y for years, PnM for whole months, else PnD)."""
        n = whole_months(self.start, self.end)
        dur = "P1Y" if self.kind in ("year", "statyear") else f"P{n}M" if n else f"P{self.days}D"
        return f"{self.start.isoformat()}/{dur}"


class _Reject(Exception):  # a reason (zh, en) why a text is not a period; parse() makes it a UserError
    pass


_TOO_LONG = (f"时间段超过 {MAX_RANGE_YEARS} 年", f"the range is longer than {MAX_RANGE_YEARS} years")
_YM = r"([0-9]{4})(?:(?:-|m)([0-9]{1,2})|([0-9]{2}))"  # 2024-03, 2024-3, 2024m03, 202403
_D = r"([0-9]{4})-([0-9]{2})-([0-9]{2})"


def _year(text: str) -> int:
    if not MIN_YEAR <= int(text) <= MAX_YEAR:
        raise _Reject(f"年份应在 {MIN_YEAR} 至 {MAX_YEAR} 之间", f"the year must be {MIN_YEAR} to {MAX_YEAR}")
    return int(text)


def _month(y: str, a: str | None, b: str | None) -> tuple[int, int]:
    if not 1 <= int(a or b) <= 12:
        raise _Reject("月份应为 1 至 12", "the month must be 1 to 12")
    return _year(y), int(a or b)


def _date(m: re.Match[str], i: int) -> date:
    return date(_year(m[i]), int(m[i + 1]), int(m[i + 2]))


def _range(s: date, e: date) -> Period:
    if e < s:
        raise _Reject("结束日期早于开始日期", "the end is before the start")
    if e >= add_months(s, 12 * MAX_RANGE_YEARS):
        raise _Reject(*_TOO_LONG)
    return Period(s, e, "range")


def _parse(t: str, today: date, sy_start: int) -> Period | None:
    def match(pattern: str) -> re.Match[str] | None:
        return re.fullmatch(pattern, t, re.ASCII)

    if match(r"[0-9]{4}"):
        return Period(date(_year(t), 1, 1), date(_year(t), 12, 31), "year")
    if m := match(_YM):
        y, mo = _month(*m.groups())
        return Period(date(y, mo, 1), month_end(y, mo), "month")
    if m := match(r"([0-9]{4})([qs])([0-9]+)"):
        y, n, size = _year(m[1]), int(m[3]), 3 if m[2] == "q" else 6
        if not 1 <= n <= 12 // size:
            raise _Reject(
                *{
                    3: ("季度应为第1至第4季度", "the quarter must be Q1 to Q4"),
                    6: ("半年应为上半年或下半年", "the half must be S1 or S2"),
                }[size]
            )
        s = date(y, (n - 1) * size + 1, 1)
        return Period(s, add_months(s, size) - timedelta(days=1), "quarter" if size == 3 else "half")
    if m := match(_YM + "ytd"):
        y, mo = _month(*m.groups())
        return Period(date(y, 1, 1), month_end(y, mo), "ytd")
    if m := match(_D + "ytd"):
        return Period(date(_date(m, 1).year, 1, 1), _date(m, 1), "ytd")
    if m := match(r"([0-9]{4})ytd"):
        y = _year(m[1])
        return Period(date(y, 1, 1), today if today.year == y else date(y, 12, 31), "ytd")
    if m := match(r"([0-9]{4})([a-z]+)"):
        if m[2] != "sy" and m[2] not in _BY_NAME:
            raise _Reject(
                "月份名称无法识别（请用英文月份名或其三字母缩写）", "unknown month name (use an English month name or its 3-letter form)"
            )
        s = date(_year(m[1]), sy_start if m[2] == "sy" else _BY_NAME[m[2]], 1)
        return Period(s, add_months(s, 12) - timedelta(days=1), "statyear")
    if m := match(_D + "/" + _D):
        return _range(_date(m, 1), _date(m, 4))
    if m := match(_D + r"/p([0-9]+)([ymd])"):
        s, n, unit = _date(m, 1), int(m[4]), m[5]
        if n == 0 or n > {"y": 1, "m": 12, "d": 366}[unit] * MAX_RANGE_YEARS:
            raise _Reject(*(("时长必须大于零", "the duration must be more than zero") if n == 0 else _TOO_LONG))
        months = n * 12 if unit == "y" else n
        return _range(s, s + timedelta(days=n - 1) if unit == "d" else add_months(s, months) - timedelta(days=1))
    return None


# ------------------------------------------------------------------------------- Chinese spellings

_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_CN_SMALL = {c: i for i, c in enumerate("一二三四五六七八九", 1)}
_SEPARATORS = re.compile(r"[-~—–―‒−〜至到]+")
_N = r"([0-9]{1,2})"
_Y = r"([0-9]{4})"


def _cn_number(run: str) -> str:
    """一 → 1, 十 → 10, 十二 → 12, 二十 → 20, 三十一 → 31; anything else unchanged (and then not recognised)."""
    tens, _, units = run.rpartition("十") if "十" in run else ("", "", run)
    if "十" not in run:
        return str(_CN_SMALL[run]) if len(run) == 1 else run
    if len(tens) > 1 or len(units) > 1 or (tens and tens not in _CN_SMALL) or (units and units not in _CN_SMALL):
        return run
    return str((_CN_SMALL[tens] if tens else 1) * 10 + (_CN_SMALL[units] if units else 0))


def _zh_normal(t: str) -> str:
    """Spaces dropped, Chinese numerals as digits (二〇二六年 → 2026年, 第四季度 → 第4季度, 十二月 → 12月),
    every dash, tilde, 到 and 至 between two parts as 至."""
    t = re.sub(r"\s+", "", t)
    t = re.sub(r"[〇零一二三四五六七八九]{4}(?=年|统计)", lambda m: m[0].translate(_CN_DIGITS), t)
    t = re.sub(r"[一二三四五六七八九十]+", lambda m: _cn_number(m[0]), t)
    return _SEPARATORS.sub("至", t)


def _months_span(y1: int, m1: int, y2: int, m2: int, suffix: str, sy_start: int) -> Period:
    s, e = date(y1, m1, 1), month_end(y2, m2)
    if e < s:
        raise _Reject("结束月份早于开始月份", "the end is before the start")
    if suffix == "统计年度":
        if whole_months(s, e) != 12:
            raise _Reject("统计年度应为连续 12 个月", "a statistical year is 12 consecutive months")
        return Period(s, e, "statyear")
    if (m1, y1) == (1, y2):
        return Period(s, e, "ytd")
    if suffix == "累计":
        raise _Reject("累计应从当年 1 月开始", "a year to date starts in January of the same year")
    return _range(s, e)


def _parse_zh(t: str, today: date, sy_start: int) -> Period | None:
    def match(pattern: str) -> re.Match[str] | None:
        return re.fullmatch(pattern, t)

    if m := match(_Y + r"(?:年|年度|年全年|全年)"):
        y = _year(m[1])
        return Period(date(y, 1, 1), date(y, 12, 31), "year")
    if m := match(_Y + r"年?(?:第([0-9]+)季度?|([0-9]+)季度|q([0-9]+))"):
        y, q = _year(m[1]), int(m[2] or m[3] or m[4])
        if not 1 <= q <= 4:
            raise _Reject("季度应为第1至第4季度", "the quarter must be 1 to 4")
        return Period(date(y, 3 * q - 2, 1), month_end(y, 3 * q), "quarter")
    if m := match(_Y + r"年?([上下])半年度?"):
        y, h = _year(m[1]), "上下".index(m[2])
        return Period(date(y, 6 * h + 1, 1), month_end(y, 6 * h + 6), "half")
    if m := match(_Y + r"(?:年|年度)?统计年度?"):  # named by the year it ends in
        y = _year(m[1])
        s = date(y - 1 if sy_start > 1 else y, sy_start, 1)
        return Period(s, add_months(s, 12) - timedelta(days=1), "statyear")
    if m := match(_Y + r"年(?:累计|至今|以来)"):
        y = _year(m[1])
        return Period(date(y, 1, 1), today if today.year == y else date(y, 12, 31), "ytd")
    if m := match(_Y + r"年" + _N + r"月份?(累计)?"):
        y, mo = _month(m[1], m[2], None)
        return Period(date(y, 1 if m[3] else mo, 1), month_end(y, mo), "ytd" if m[3] else "month")
    if m := match(_Y + r"年" + _N + r"月?至(?:" + _Y + r"年)?" + _N + r"月份?(累计|统计年度)?"):
        y1, m1 = _month(m[1], m[2], None)
        y2, m2 = _month(m[3] or m[1], m[4], None)
        return _months_span(y1, m1, y2, m2, m[5] or "", sy_start)
    d = _Y + r"年" + _N + r"月" + _N + r"日"
    if m := match(d + r"至(?:(?:" + _Y + r"年)?" + _N + r"月)?" + _N + r"日(累计)?"):
        s = date(_year(m[1]), int(m[2]), int(m[3]))
        e = date(_year(m[4] or m[1]), int(m[5] or m[2]), int(m[6]))
        if not m[7]:
            return _range(s, e)
        if (s.month, s.day) != (1, 1) or e.year != s.year or e < s:
            raise _Reject("累计应从当年 1 月 1 日开始", "a year to date starts on 1 January of the same year")
        return Period(s, e, "ytd")
    return None


def _cjk(t: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" for c in t)


def parse(text: str, *, today: date | None = None, stat_year_start: int = 10) -> Period:
    """A period from text such as 2024, 2024-03, 2024Q1, 2024S1, 2023Oct, 2023SY, 2024-03YTD, 2024YTD,
    2024-01-01/2024-03-31 or 2024-01-01/P3M (case-insensitive; full-width characters allowed), or a
    Chinese spelling (any ``label``, 2026年第4季度, 2026年四季度, 2025年12月份, 2026年1-3月, 2025统计年度...).
    ``2023SY`` starts in month ``stat_year_start`` of 2023; ``2024YTD`` runs to ``today`` within 2024."""
    if not isinstance(stat_year_start, int) or not 1 <= stat_year_start <= 12:
        raise UserError(
            f"统计年度起始月份应为 1 至 12，而不是 {stat_year_start!r}。",
            f"The statistical year must start in month 1 to 12, not {stat_year_start!r}.",
            code="bad_config",
        )
    raw = (text if isinstance(text, str) else repr(text)).strip()
    try:
        t = unicodedata.normalize("NFKC", raw).strip().lower()
        p = (_parse_zh(_zh_normal(t), today or date.today(), stat_year_start) if _cjk(t) else None) or _parse(
            t, today or date.today(), stat_year_start
        )
        if p is not None and p.start.year >= MIN_YEAR and p.end.year <= MAX_YEAR:
            return p
        zh, en = (
            ("无法识别", "not recognised")
            if p is None
            else (f"开始于 {MIN_YEAR} 年之前", f"it starts before {MIN_YEAR}")
            if p.start.year < MIN_YEAR
            else (f"结束于 {MAX_YEAR} 年之后", f"it ends after {MAX_YEAR}")
        )
    except _Reject as r:
        zh, en = r.args
    except (ValueError, OverflowError, UserError):
        zh, en = "不是有效日期", "not a valid date"
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    raise UserError(
        f"统计期“{shown}”无效：{zh}。可以这样写：{EXAMPLES_ZH}。",
        f'Invalid period "{shown}": {en}. Accepted forms, e.g.: {EXAMPLES.replace("、", ", ")}; '
        f"or in Chinese: {EXAMPLES_ZH.replace('、', ', ')}.",
        code="bad_period",
    )
