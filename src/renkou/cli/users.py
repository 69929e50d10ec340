"""`renkou user`: accounts for the web application (add, list, password, unlock, deactivate, clear a lost
second factor). A password given here (a new account's, a reset one) must be changed by its owner at the
next sign-in."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select

from renkou.auth import accounts
from renkou.auth.roles import ROLES, Role
from renkou.cli.context import console, state
from renkou.errors import UserError
from renkou.storage.db import Actor
from renkou.storage.schema import Account, OrgUnit

user_app = typer.Typer(help="用户账号（网页端使用）。User accounts (for the web application).", no_args_is_help=True)
ROLES_HELP = " | ".join(f"{r.value}={ROLES[r].zh}" for r in Role)


@user_app.command("add")
def add(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="用户名（3-32 位小写字母、数字、点、下划线、连字符）。User name."),
    name: str = typer.Option(..., "--name", help="姓名。Display name."),
    role: str = typer.Option(..., "--role", help=ROLES_HELP),
    unit: str = typer.Option(..., "--unit", help="所属单位代码（决定可见范围）。Code of the unit the account is bound to (its scope)."),
    password: str = typer.Option(
        ...,
        "--password",
        prompt="密码 Password",
        hide_input=True,
        confirmation_prompt=True,
        help="初始密码（不填则提示输入）。Initial password (prompted when omitted).",
    ),
) -> None:
    """新建账号。Create an account."""
    db = state(ctx).db()
    with db.write(Actor.local(), note=f"account {username} created") as s:
        acc = accounts.create_account(
            s, username=username, display_name=name, role=role, unit_code=unit, password=password, must_change=True
        )
        info = ROLES[Role(acc.role)]
        need = "，再设置动态验证码（TOTP）" if info.needs_totp else ""
        need_en = ", then set up a one-time-code app (TOTP)" if info.needs_totp else ""
    console.print(
        f"账号 {acc.username}（{info.zh}，{unit}）已建立；首次登录时须先修改密码{need}。"
        f"Account {acc.username} ({info.en}, {unit}) created; at the first sign-in its owner must change the password{need_en}."
    )


@user_app.command("list")
def list_(ctx: typer.Context) -> None:
    """列出账号。List accounts."""
    db = state(ctx).db()
    with db.read() as s:
        rows = s.execute(select(Account, OrgUnit.code).join(OrgUnit, OrgUnit.id == Account.unit_id).order_by(Account.username)).all()
    t = Table("用户名 user", "姓名 name", "角色 role", "单位 unit", "状态 status", "动态码 TOTP", "须改密码 must change")
    for acc, code in rows:
        status = "停用 disabled" if not acc.active else ("锁定 locked" if acc.locked_until else "正常 active")
        t.add_row(
            acc.username,
            acc.display_name,
            ROLES[Role(acc.role)].zh,
            code,
            status,
            "是 yes" if acc.totp_secret else "否 no",
            "是 yes" if acc.password_must_change else "否 no",
        )
    console.print(t)


@user_app.command("passwd")
def passwd(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    password: str = typer.Option(..., "--password", prompt="新密码 New password", hide_input=True, confirmation_prompt=True),
    reason: str = typer.Option("重置密码", "--reason", help="原因（写入审计日志）。Reason (audited)."),
) -> None:
    """重置账号密码（管理员操作，写入审计日志；用户下次登录时须修改）。Reset an account's password (audited; the user must change it at the next sign-in)."""
    db = state(ctx).db()
    with db.write(Actor.local(), note=f"password of {username} reset", reason=reason) as s:
        accounts.set_password(s, accounts.get_account(s, username), password, must_change=True)
    console.print(
        f"账号 {username} 的密码已重置，用户下次登录时须修改。Password of {username} reset; the user must change it at the next sign-in."
    )


@user_app.command("unlock")
def unlock(ctx: typer.Context, username: str = typer.Argument(...)) -> None:
    """解除因多次登录失败造成的锁定。Unlock an account locked after failed logins."""
    db = state(ctx).db()
    with db.write(Actor.local(), note=f"account {username} unlocked") as s:
        accounts.unlock(s, accounts.get_account(s, username))
    console.print(f"账号 {username} 已解锁。Account {username} unlocked.")


@user_app.command("clear-totp")
def clear_totp(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="原因（写入审计日志）。Reason (audited)."),
) -> None:
    """清除丢失的动态验证码（写入审计日志）；用户下次登录时重新设置。Clear a lost one-time code (audited); the owner sets up a new one at the next sign-in."""
    if not reason.strip():
        raise UserError("请填写原因（写入审计日志）", "give the reason (it is written to the audit trail)")
    db = state(ctx).db()
    with db.write(Actor.local(), note=f"one-time code of {username} cleared", reason=reason.strip()) as s:
        cleared = accounts.clear_totp(s, accounts.get_account(s, username))
    if cleared:
        console.print(
            f"账号 {username} 的动态验证码已清除，其会话均已结束；用户下次登录时须重新设置。"
            f"One-time code of {username} cleared and its sessions ended; the owner sets up a new one at the next sign-in."
        )
    else:
        console.print(f"账号 {username} 未设置动态验证码，未作更改。{username} has no one-time code set up; nothing changed.")


@user_app.command("deactivate")
def deactivate(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="原因（写入审计日志）。Reason (audited)."),
) -> None:
    """停用账号（账号永不删除，其操作记录保留）。Deactivate an account (accounts are never deleted)."""
    db = state(ctx).db()
    with db.write(Actor.local(), note=f"account {username} deactivated", reason=reason) as s:
        accounts.set_active(s, accounts.get_account(s, username), False)
    console.print(f"账号 {username} 已停用。Account {username} deactivated.")


@user_app.command("token")
def token(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    name: str = typer.Option(..., "--name", help="令牌用途，如“统计数据推送”。What the token is for."),
) -> None:
    """为机器客户端创建 API 令牌（只显示一次）。Create an API token for a machine client (shown once)."""
    db = state(ctx).db()
    with db.write(Actor.local(), note=f"API token for {username}") as s:
        value = accounts.create_token(s, accounts.get_account(s, username), name)
    console.print("API 令牌（只显示这一次，请妥善保存）API token (shown this once; keep it safe):")
    console.print(value)


@user_app.command("revoke-tokens")
def revoke_tokens(ctx: typer.Context, username: str = typer.Argument(...)) -> None:
    """吊销账号的全部 API 令牌。Revoke all API tokens of an account."""
    db = state(ctx).db()
    with db.write(Actor.local(), note=f"API tokens of {username} revoked") as s:
        n = accounts.revoke_tokens(s, accounts.get_account(s, username))
    console.print(f"已吊销 {n} 个令牌。{n} token(s) revoked.")
