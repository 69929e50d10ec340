"""Every setting of renkou, read from the environment (RENKOU_*) in one place: :class:`Settings`.

Each field carries, as data next to it (dataclass field metadata, see :func:`setting`), its
environment variable, how its text is read and checked, and a one-line description in Chinese and
English; ``docs/configuration.md``'s table of settings is generated from these (``docs/gen.py``).
No other module reads a ``RENKOU_*`` variable: the entry points (the CLI's root command, the web
application factory) make one ``Settings.from_env()`` and hand it, or the field a module needs, on.

Adding a setting is a one-place change: add one field here, e.g. ::

    upload_limit_mb: int = setting(20, "RENKOU_UPLOAD_LIMIT_MB", "上传文件大小上限（MB）",
                                   "Largest upload accepted, in MB", parse=whole(1, 500))

then read it from the ``Settings`` your code was given (``state(ctx).settings`` in a command,
``request.app.state.settings`` in a page), and run ``python docs/gen.py`` to refresh the docs
(tests/test_docs.py fails until you do). Provincial rules live here until the rules catalogue
exists: keep them as data, never as code branches. This module is not where settings are *used*.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url

from renkou.core.birthorder import RULES as BIRTH_ORDER_RULES
from renkou.errors import UserError

__all__ = [
    "Settings",
    "SettingInfo",
    "choice",
    "data_dir",
    "networks",
    "number",
    "flag",
    "optional_text",
    "setting",
    "settings_info",
    "text",
    "time_zone",
    "whole",
]

Parse = Callable[[str, str], Any]  # (environment variable, its raw text) -> value, or raises UserError


def text(name: str, raw: str) -> str:
    return raw


def optional_text(name: str, raw: str) -> str | None:
    return raw or None


def whole(lo: int, hi: int) -> Parse:
    """A whole number from ``lo`` to ``hi``."""

    def parse(name: str, raw: str) -> int:
        try:
            v = int(raw)
        except ValueError:
            v = lo - 1
        if not lo <= v <= hi:
            raise UserError(
                f"{name} 应为 {lo} 到 {hi} 之间的整数，而不是 {raw!r}", f"{name} must be a whole number from {lo} to {hi}, not {raw!r}"
            )
        return v

    parse.allowed = f"{lo}–{hi}"  # type: ignore[attr-defined]
    return parse


def number(lo: float, hi: float) -> Parse:
    """A number (decimals allowed) from ``lo`` to ``hi``."""

    def parse(name: str, raw: str) -> float:
        try:
            v = float(raw)
        except ValueError:
            v = math.nan
        if not lo <= v <= hi:
            raise UserError(
                f"{name} 应为 {lo:g} 到 {hi:g} 之间的数，而不是 {raw!r}", f"{name} must be a number from {lo:g} to {hi:g}, not {raw!r}"
            )
        return v

    parse.allowed = f"{lo:g}–{hi:g}"  # type: ignore[attr-defined]
    return parse


def choice(*values: str) -> Parse:
    """One of ``values``."""

    def parse(name: str, raw: str) -> str:
        if raw not in values:
            raise UserError(f"{name} 应为 {' 或 '.join(values)}，而不是 {raw!r}", f"{name} must be one of {', '.join(values)}, not {raw!r}")
        return raw

    parse.allowed = " / ".join(values)  # type: ignore[attr-defined]
    return parse


def flag(name: str, raw: str) -> bool:
    """``1``/``0`` (also yes/no, true/false, on/off)."""
    v = raw.strip().lower()
    if v in ("1", "yes", "true", "on"):
        return True
    if v in ("0", "no", "false", "off"):
        return False
    raise UserError(f"{name} 应为 1 或 0，而不是 {raw!r}", f"{name} must be 1 or 0, not {raw!r}")


flag.allowed = "1 / 0"  # type: ignore[attr-defined]


def setting(
    default: Any, env: str, zh: str, en: str, *, parse: Parse = text, default_text: str | None = None, flag_name: str | None = None
) -> Any:
    """A field of :class:`Settings`: its default, environment variable, parser and description.

    ``default_text`` says what the default means when the value alone does not (e.g. ``None``);
    ``flag_name`` names a command-line flag that overrides it."""
    meta = {"env": env, "zh": zh, "en": en, "parse": parse, "default_text": default_text, "flag": flag_name}
    return field(default=default, metadata=meta)


def networks(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or CIDR networks, each checked."""
    out = []
    for part in raw.split(","):
        if part.strip():
            try:
                out.append(str(ipaddress.ip_network(part.strip(), strict=False)))
            except ValueError:
                raise UserError(
                    f"{name} 应为逗号分隔的 IP 地址或网段（如 10.0.0.5,10.1.0.0/24），而不是 {part.strip()!r}",
                    f"{name} must be comma-separated IP addresses or networks (such as 10.0.0.5,10.1.0.0/24), not {part.strip()!r}",
                ) from None
    return tuple(out)


networks.allowed = "IP addresses or networks, comma-separated"  # type: ignore[attr-defined]


def time_zone(name: str, raw: str) -> str:
    """An IANA time zone name, such as ``Asia/Shanghai`` or ``Asia/Urumqi``."""
    try:
        ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"{name} 应为时区名称（如 Asia/Shanghai），而不是 {raw!r}",
            f"{name} must be a time zone name (such as Asia/Shanghai), not {raw!r}",
        ) from None
    return raw.strip()


time_zone.allowed = "an IANA time zone name"  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Settings:
    database_url: str = setting("sqlite:///renkou.db", "RENKOU_DATABASE_URL", "数据库地址", "Database URL", flag_name="--db")
    birth_order_rule: str = setting(
        "mother", "RENKOU_BIRTH_ORDER_RULE", "孩次计算口径", "Birth-order rule", parse=choice(*BIRTH_ORDER_RULES)
    )
    resident_threshold_months: int = setting(
        3,
        "RENKOU_RESIDENT_THRESHOLD_MONTHS",
        "常住人口口径：离开户籍地满几个月计入居住地",
        "Resident basis: months away from the hukou place after which a person counts where they live",
        parse=whole(0, 24),
    )
    stat_year_start: int = setting(
        10,
        "RENKOU_STAT_YEAR_START",
        "统计年度起始月（期别 2023SY）",
        "Month the statistical year (period 2023SY) starts",
        parse=whole(1, 12),
    )
    srb_target: float = setting(
        105.0,
        "RENKOU_SRB_TARGET",
        "出生人口性别比漏斗图的参照值（女=100）",
        "Sex ratio at birth the funnel chart's 95% limits are drawn around (girls = 100)",
        parse=number(90, 130),
    )
    srb_min_births: int = setting(
        20,
        "RENKOU_SRB_MIN_BIRTHS",
        "出生人口性别比的最少出生数：不足时显示“样本过少”",
        "Fewest births for which a sex ratio at birth is shown (below it: “too few births”)",
        parse=whole(1, 10_000),
    )
    benefit_posting_days: int = setting(
        7, "RENKOU_BENEFIT_POSTING_DAYS", "奖励扶助等公示天数", "Days a public posting of benefit applications runs", parse=whole(1, 60)
    )
    benefit_rules: str | None = setting(
        None,
        "RENKOU_BENEFIT_RULES",
        "本省、本县的福利项目与金额标准（文件夹）",
        "Folder of a province's or county's benefit rules and amounts",
        parse=optional_text,
        default_text="none: the shipped national floors and layers",
    )
    indicators: str | None = setting(
        None,
        "RENKOU_INDICATORS",
        "指标目录扩展（JSON 文件）",
        "Extra or replacement indicators (a JSON file)",
        parse=optional_text,
        default_text="none",
    )
    reports_dir: str | None = setting(
        None,
        "RENKOU_REPORTS_DIR",
        "省定报表模板（文件夹）",
        "Folder of a province's own report templates",
        parse=optional_text,
        default_text="none",
    )
    stats_snapshot: str | None = setting(
        None,
        "RENKOU_STATS_SNAPSHOT",
        "统计快照目录（off 关闭）",
        "Statistics snapshot folder (off disables)",
        parse=optional_text,
        default_text="next to a SQLite file; `~/.cache/renkou/` for PostgreSQL",
    )
    cjk_font: str | None = setting(
        None,
        "RENKOU_CJK_FONT",
        "PDF 报表与图表的中文字体文件",
        "CJK font file for PDF reports and charts",
        parse=optional_text,
        default_text="WenQuanYi Micro Hei (`fonts-wqy-microhei`), else Noto CJK",
    )
    secret_key: str | None = setting(
        None,
        "RENKOU_SECRET_KEY",
        "网页会话签名密钥",
        "Key that signs the web sessions",
        parse=optional_text,
        default_text="a new random key each start (everyone signs in again)",
    )
    cookie_secure: bool | None = setting(
        None,
        "RENKOU_COOKIE_SECURE",
        "会话 Cookie 仅经 HTTPS 发送",
        "Session cookie sent over HTTPS only",
        parse=flag,
        default_text="0 when serving on this machine (127.0.0.1), else 1",
    )
    argon2_profile: str = setting(
        "default",
        "RENKOU_ARGON2_PROFILE",
        "密码哈希参数（test 仅供测试）",
        "Password-hashing cost (test: for the test suite only)",
        parse=choice("default", "test"),
    )
    data_dir: str | None = setting(
        None,
        "RENKOU_DATA_DIR",
        "服务器工作文件目录（待核验、待提交的导入文件）",
        "The server's folder for its work files (uploaded imports waiting for a check or a commit)",
        parse=optional_text,
        default_text="`<file>.data` next to a SQLite database, else one folder per database in the user's data directory",
    )
    trusted_proxies: tuple[str, ...] = setting(
        (),
        "RENKOU_TRUSTED_PROXIES",
        "可信反向代理（其 X-Forwarded-For 才被采信）",
        "Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For names the client",
        parse=networks,
        default_text="none: X-Forwarded-For is never trusted (see reverse-proxy.md)",
    )
    max_upload_mb: int = setting(
        50,
        "RENKOU_MAX_UPLOAD_MB",
        "上传文件大小上限（MB），超出即拒收，不读取",
        "Largest request body (upload) read, in MB; a larger one is refused before it is read",
        parse=whole(1, 4096),
    )
    import_max_rows: int = setting(
        1_000_000,
        "RENKOU_IMPORT_MAX_ROWS",
        "一个导入文件的数据行上限",
        "The most data rows one import file may have",
        parse=whole(1, 100_000_000),
    )
    time_zone: str = setting(
        "Asia/Shanghai",
        "RENKOU_TIME_ZONE",
        "页面显示时间所用的时区（数据库中一律存 UTC）",
        "Time zone in which pages show times (the database keeps UTC)",
        parse=time_zone,
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings from ``env`` (default: the process environment); an unset or empty variable
        keeps the default. A bad value is a UserError naming the variable."""
        e = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            raw = e.get(f.metadata["env"])
            if raw is not None and raw != "":
                values[f.name] = f.metadata["parse"](f.metadata["env"], raw)
        return cls(**values)


def data_dir(settings: Settings, database_url: str) -> Path:
    """The folder of this instance's work files: ``RENKOU_DATA_DIR``, else ``<file>.data`` next to a
    SQLite database file, else ``renkou/data-<digest of the database URL>`` in the user's data
    directory — never a folder shared by every program on the machine, like /tmp. Not created here."""
    if settings.data_dir:
        return Path(settings.data_dir)
    u = make_url(database_url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        return Path(u.database).with_name(Path(u.database).name + ".data")
    digest = hashlib.sha256(u.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "renkou" / f"data-{digest}"


@dataclass(frozen=True)
class SettingInfo:
    """One setting as the documentation shows it."""

    name: str
    env: str
    type: str
    default: str
    allowed: str
    zh: str
    en: str
    flag: str | None


def settings_info() -> list[SettingInfo]:
    """Every setting, in field order, for the documentation (docs/gen.py)."""
    out = []
    for f in fields(Settings):
        m = f.metadata
        out.append(
            SettingInfo(
                f.name,
                m["env"],
                _type_name(f),
                m["default_text"] or _default(f),
                getattr(m["parse"], "allowed", ""),
                m["zh"],
                m["en"],
                m["flag"],
            )
        )
    return out


def _type_name(f: Field[object]) -> str:
    return str(f.type).replace("'", "")


def _default(f: Field[object]) -> str:
    return "" if f.default is MISSING else f"`{f.default}`"
