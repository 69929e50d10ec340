"""Page texts by language (Chinese first). The Babel/gettext catalogues replace this table when the
pages grow; until then every text a template shows comes from here, none is written in a template."""

from __future__ import annotations

TEXTS = {
    "zh": {
        "login_title": "登录", "username": "用户名", "password": "密码", "totp": "动态验证码（如已设置）", "login": "登录",
        "logout": "退出", "home_title": "首页", "home_scope": "您的管辖范围：",
        "must_enrol_totp": "您的角色要求设置动态验证码（TOTP），请尽快设置。",
        "csrf": "表单已过期或来源不明，请刷新页面后重试。", "throttled": "登录失败次数过多，请稍后再试。",
    },
    "en": {
        "login_title": "Sign in", "username": "User name", "password": "Password", "totp": "One-time code (if set up)", "login": "Sign in",
        "logout": "Sign out", "home_title": "Home", "home_scope": "Your area:",
        "must_enrol_totp": "Your role requires a one-time-code app (TOTP); please set it up.",
        "csrf": "The form has expired or did not come from this site; reload the page and try again.",
        "throttled": "Too many failed sign-ins; try again later.",
    },
}


def texts(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["zh"])
