"""`renkou user` end to end on SQLite."""

import pytest

from helpers import run_cli
from renkou.auth import accounts
from renkou.storage.db import Database
from renkou.synth.county import COUNTY_CODE

run = run_cli


@pytest.fixture
def url(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'u.db'}"
    code, _, _ = run(capsys, "--db", url, "synth", "--persons", "1000", "--seed", "1")
    assert code == 0
    return url


def test_add_list_lock_unlock_reset_and_deactivate(url, capsys):
    code, out, _ = run(
        capsys,
        "--db",
        url,
        "user",
        "add",
        "tongji",
        "--name",
        "统计员",
        "--role",
        "county_statistician",
        "--unit",
        COUNTY_CODE,
        "--password",
        "Tong.Ji-2026x",
    )
    assert code == 0 and "TOTP" in out
    code, _, err = run(
        capsys,
        "--db",
        url,
        "user",
        "add",
        "cun",
        "--name",
        "村干部",
        "--role",
        "village_worker",
        "--unit",
        COUNTY_CODE,
        "--password",
        "weak",
    )
    assert code == 1 and "password" in err and "level" in err and "Traceback" not in err
    db = Database(url)
    for i in range(accounts.LOCK_AFTER):
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(db, "tongji", f"bad{i}")
    code, out, _ = run(capsys, "--db", url, "user", "list")
    assert code == 0 and "tongji" in out and "locked" in out
    code, _, _ = run(capsys, "--db", url, "user", "unlock", "tongji")
    assert code == 0 and accounts.authenticate(db, "tongji", "Tong.Ji-2026x").username == "tongji"
    code, _, _ = run(capsys, "--db", url, "user", "passwd", "tongji", "--password", "New.Secret-2027")
    assert code == 0 and accounts.authenticate(db, "tongji", "New.Secret-2027")
    code, _, _ = run(capsys, "--db", url, "user", "deactivate", "tongji", "--reason", "调离")
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "tongji", "New.Secret-2027")
    code, out, _ = run(capsys, "--db", url, "user", "token", "tongji", "--name", "推送")
    value = out.strip().splitlines()[-1]
    assert code == 0 and value.startswith("rk_")
    with db.read() as s:
        assert accounts.login_by_token(s, value) is None  # the account is deactivated
    code, out, _ = run(capsys, "--db", url, "user", "revoke-tokens", "tongji")
    assert code == 0 and "1 token(s) revoked" in out
    code, _, err = run(capsys, "--db", url, "user", "unlock", "nobody")
    assert code == 1 and "no account named nobody" in err
    db.dispose()


def test_demo_creates_one_account_per_role_that_can_sign_in(tmp_path, capsys):
    from renkou.auth.roles import Role
    from renkou.demo import fixture

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    code, out, _ = run(capsys, "--db", url, "demo", "--persons", "1000")
    assert code == 0 and fixture.DEMO_PASSWORD in out
    db = Database(url)
    roles = set()
    for user in ("cun", "xiang", "tongji", "jiangfu", "shenji", "admin"):
        assert user in out
        roles.add(accounts.authenticate(db, user, fixture.DEMO_PASSWORD).role)
    assert roles == set(Role)
    db.dispose()


def test_an_added_or_reset_password_must_be_changed_and_a_lost_totp_can_be_cleared(url, capsys):
    import pyotp
    from sqlalchemy import select

    from helpers import totp_code
    from renkou.storage.db import Actor
    from renkou.storage.schema import Account, AuditEntry, Changeset

    args = ("--name", "统计员", "--role", "county_statistician", "--unit", COUNTY_CODE, "--password", "Tong.Ji-2026x")
    code, out, _ = run(capsys, "--db", url, "user", "add", "tongji", *args)
    assert code == 0 and "首次登录时须先修改密码，再设置动态验证码" in out and "must change the password, then set up" in out
    db = Database(url)
    login = accounts.authenticate(db, "tongji", "Tong.Ji-2026x")
    assert login.must_change_password and login.must_enrol_totp
    with db.write(Actor("tongji", "web")) as s:  # the owner changes it: the flag goes
        accounts.change_password(s, accounts.get_account(s, "tongji"), "Tong.Ji-2026x", "Own.Choice-2027")
        secret, _ = accounts.start_totp(s.scalar(select(Account).where(Account.username == "tongji")))
        accounts.confirm_totp(s, accounts.get_account(s, "tongji"), secret, pyotp.TOTP(secret).now())
    code, out, _ = run(capsys, "--db", url, "user", "list")
    assert code == 0 and "须改密码" in out
    code, _, _ = run(capsys, "--db", url, "user", "passwd", "tongji", "--password", "Reset.By-Admin27", "--reason", "遗忘")
    assert code == 0
    login = accounts.authenticate(db, "tongji", "Reset.By-Admin27", totp_code=totp_code(db, "tongji", secret))
    assert login.must_change_password and not login.must_enrol_totp
    code, _, err = run(capsys, "--db", url, "user", "clear-totp", "tongji", "--reason", " ")
    assert code == 1 and "reason" in err
    code, out, _ = run(capsys, "--db", url, "user", "clear-totp", "tongji", "--reason", "手机丢失")
    assert code == 0 and "已清除" in out
    with db.read() as s:
        acc = s.scalar(select(Account).where(Account.username == "tongji"))
        entry = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "account").order_by(AuditEntry.id.desc())).first()
        cs = s.get(Changeset, entry.changeset_id)
    assert acc.totp_secret is None and acc.sessions_valid_after is not None
    assert entry.reason == "手机丢失" and "totp_secret" in entry.after and cs.channel == "cli" and "cleared" in cs.note
    assert secret not in str(entry.before) + str(entry.after)  # the secret itself never reaches the trail
    assert accounts.authenticate(db, "tongji", "Reset.By-Admin27").must_enrol_totp  # no code asked; a new one is due
    code, out, _ = run(capsys, "--db", url, "user", "clear-totp", "tongji", "--reason", "again")
    assert code == 0 and "nothing changed" in out
    db.dispose()
