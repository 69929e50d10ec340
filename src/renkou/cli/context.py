"""What every command shares: settings, the database (checked to be migrated), output helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import typer
from rich.console import Console

from renkou.config import Settings
from renkou.errors import UserError
from renkou.storage import migrate
from renkou.storage.db import Database

# markup=False: output often contains what users typed ("[...]" must print as typed, never as style).
console = Console(highlight=False, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False)


@dataclass
class State:
    settings: Settings = field(default_factory=Settings.from_env)
    _db: Database | None = None

    def db(self, *, migrated: bool = True) -> Database:
        if self._db is None:
            self._db = Database(self.settings.database_url)
        if migrated:
            try:
                cur = migrate.current(self._db)
            except Exception as exc:  # cannot connect, or not a database
                raise UserError(f"无法连接数据库：{_safe(self.settings.database_url)}", f"cannot connect to the database {_safe(self.settings.database_url)}") from exc
            if cur is None:
                raise UserError("数据库尚未初始化，请先运行 renkou init", "the database is not initialised: run `renkou init` first")
            if cur != migrate.head():
                raise UserError("数据库版本较旧，请先运行 renkou init 升级", "the database schema is older than this program: run `renkou init` to upgrade it")
        return self._db


def _safe(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid URL>"


def state(ctx: typer.Context) -> State:
    return ctx.ensure_object(State)


def parse_date_opt(value: str | None, name: str = "--date") -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise UserError(f"{name} 应为 YYYY-MM-DD 格式的日期，而不是 {value!r}", f"{name} must be a date YYYY-MM-DD, not {value!r}") from exc
