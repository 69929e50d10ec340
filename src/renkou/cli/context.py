"""What every command shares: settings, the database (checked to be migrated), output helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from renkou.config import Settings
from renkou.core.dates import parse_date
from renkou.errors import UserError
from renkou.storage import migrate
from renkou.storage.db import Database

if TYPE_CHECKING:
    from renkou.stats.service import Stats

# markup=False: output often contains what users typed ("[...]" must print as typed, never as style).
console = Console(highlight=False, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False)


@dataclass
class State:
    settings: Settings = field(default_factory=Settings.from_env)
    _db: Database | None = None
    _stats: Stats | None = None
    synth: dict | None = None  # options of `renkou synth` for its subcommands

    def db(self, *, migrated: bool = True) -> Database:
        if migrated and not sqlite_file_exists(self.settings.database_url):
            # do not leave an empty database file behind in whatever folder the user is in
            raise UserError(
                f"数据库文件不存在：{safe_url(self.settings.database_url)}，请先运行 renkou init",
                f"no database file at {safe_url(self.settings.database_url)}: run `renkou init` first",
            )
        if self._db is None:
            try:
                self._db = Database(self.settings.database_url)
            except Exception as exc:  # a malformed URL or a driver that is not installed
                raise UserError(
                    f"数据库地址无效：{safe_url(self.settings.database_url)}",
                    f"invalid database URL: {safe_url(self.settings.database_url)}",
                ) from exc
        if migrated:
            try:
                cur = migrate.current(self._db)
            except Exception as exc:  # cannot connect, or not a database
                raise UserError(
                    f"无法连接数据库：{safe_url(self.settings.database_url)}",
                    f"cannot connect to the database {safe_url(self.settings.database_url)}",
                ) from exc
            if cur is None:
                raise UserError("数据库尚未初始化，请先运行 renkou init", "the database is not initialised: run `renkou init` first")
            if cur != migrate.head():
                raise UserError(
                    "数据库版本较旧，请先运行 renkou init 升级",
                    "the database schema is older than this program: run `renkou init` to upgrade it",
                )
        return self._db

    def stats(self) -> Stats:
        """The statistics service of this command, its model loaded (one per command)."""
        if self._stats is None:
            from renkou.stats.service import Stats  # numpy and Polars load only for the commands that count

            with console.status("正在载入统计数据… loading the statistics model…"):
                self._stats = Stats(self.db(), self.settings)
                self._stats.model()
        return self._stats

    def close(self) -> None:
        """Close the database's connections when the command ends (called by the root context)."""
        if self._db is not None:
            self._db.dispose()
            self._db = None


def sqlite_file_exists(url: str) -> bool:
    """False only for a SQLite URL naming a file that does not exist."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    try:
        u = make_url(url)
    except Exception:
        return True
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return True
    return Path(u.database).exists()


def safe_url(url: str) -> str:
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
    d = parse_date(value)
    if d is None:
        raise UserError(f"{name} 应为 YYYY-MM-DD 格式的日期，而不是 {value!r}", f"{name} must be a date YYYY-MM-DD, not {value!r}")
    return d
