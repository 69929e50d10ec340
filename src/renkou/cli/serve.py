"""`renkou serve`: the web application."""

from __future__ import annotations

import threading

import typer

from renkou.cli.context import console, state

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址。Address to listen on."),
    port: int = typer.Option(8000, "--port", help="端口。Port."),
) -> None:
    """启动网页端（默认仅本机 127.0.0.1:8000）。Serve the web application (default 127.0.0.1:8000, this machine only)."""
    import uvicorn

    from renkou.web.app import create_app

    db = state(ctx).db()
    settings = state(ctx).settings
    # Plain HTTP is only for this machine; anywhere else the cookie must be Secure (serve behind TLS).
    secure = settings.cookie_secure if settings.cookie_secure is not None else host not in LOOPBACK
    app = create_app(db, secret=settings.secret_key, secure_cookies=secure, settings=settings)
    # load the statistics model while the server starts (from its snapshot: about a second for a
    # million people; the first time from every row); requests that need it wait for it
    threading.Thread(target=app.state.stats.model, name="stats-warm-up", daemon=True).start()
    console.print(f"renkou 网页端：http://{host}:{port}/  （Ctrl+C 停止） Web application at http://{host}:{port}/ (Ctrl+C to stop)")
    # uvicorn would believe X-Forwarded-For from 127.0.0.1 by default: the application decides instead,
    # from RENKOU_TRUSTED_PROXIES only (renkou.web.security.TrustedProxies)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, proxy_headers=False, forwarded_allow_ips="")
