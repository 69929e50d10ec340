"""Times as people read them: the database keeps UTC (naive datetimes, renkou.storage.db.utcnow); a
page shows them in the configured time zone (setting ``time_zone``, RENKOU_TIME_ZONE, default
Asia/Shanghai — Beijing time).

* ``local(moment, settings)`` — a stored UTC time as an aware datetime in the configured zone;
* ``text(moment, settings)`` — the same as text, ``2026-12-05 16:30:00`` (seconds optional);
* ``utc_day_bounds(first, last, settings)`` — the stored-UTC range of whole local days, for filters;
* in templates, the filter ``localtime`` (installed by the application factory with ``install``):
  ``{{ row.at|localtime }}`` or ``{{ row.at|localtime("%Y-%m-%d %H:%M") }}``.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from renkou.config import Settings

__all__ = ["FORMAT", "ZONE_NAMES", "install", "local", "text", "utc_day_bounds", "zone", "zone_name"]

FORMAT = "%Y-%m-%d %H:%M:%S"


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone(settings: Settings) -> ZoneInfo:
    return _zone(settings.time_zone)


def local(moment: dt.datetime | None, settings: Settings) -> dt.datetime | None:
    """A stored time (naive UTC, or aware) in the configured zone; None stays None."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    return aware.astimezone(zone(settings))


def text(moment: dt.datetime | None, settings: Settings, fmt: str = FORMAT) -> str:
    """A stored time as local text; "" for None."""
    shown = local(moment, settings)
    return shown.strftime(fmt) if shown is not None else ""


def utc_day_bounds(first: dt.date | None, last: dt.date | None, settings: Settings) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The stored-UTC (naive) times from the start of local day ``first`` to the end of local day ``last``
    (the second bound excluded); None where a day is not given."""

    def utc(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), zone(settings)).astimezone(dt.UTC).replace(tzinfo=None)

    return (utc(first) if first else None, utc(last + dt.timedelta(days=1)) if last else None)


def install(env: Any, settings: Settings) -> None:
    """Register the ``localtime`` filter of a Jinja environment, for ``settings``' zone."""
    env.filters["localtime"] = lambda moment, fmt=FORMAT: text(moment, settings, fmt)


# the zones of China by the names people use for them: (zh, en); any other zone is shown by its tz name
ZONE_NAMES = {
    "Asia/Shanghai": ("北京时间", "Beijing time (Asia/Shanghai)"),
    "Asia/Chongqing": ("北京时间", "Beijing time (Asia/Chongqing)"),
    "Asia/Urumqi": ("乌鲁木齐时间", "Urumqi time (Asia/Urumqi)"),
}


def zone_name(name: str, lang: str) -> str:
    """The configured zone as a page names it: 北京时间 for Asia/Shanghai, else the tz name."""
    known = ZONE_NAMES.get(name)
    return known[lang == "en"] if known else name
