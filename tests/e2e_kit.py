"""What the Playwright tests (tests/e2e) share: Debian's Chromium, the screenshot folder, a
generated county with the demo accounts, and the app served by uvicorn on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from renkou.demo import fixture
from renkou.storage import migrate
from renkou.storage.db import Database
from renkou.synth import build, county, store

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / "test-output" / "e2e"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def demo_county(folder: Path) -> tuple[Database, list]:
    """A 2,000-person generated county with one demo account per role: (database, accounts made)."""
    db = Database(f"sqlite:///{folder / 'demo.db'}")
    migrate.upgrade(db)
    store.to_database(build.generate(2_000, 3), db, actor=fixture.DEMO_ACTOR)
    return db, fixture.demo_accounts(db, county.COUNTY_CODE)


@contextmanager
def serving(app) -> Iterator[str]:
    """Serve ``app`` on a free loopback port while the block runs; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        t.join(timeout=10)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
