"""Accounts, roles and the organisation scope every query is limited to.

* ``accounts`` — create and authenticate accounts (lockout), passwords, API tokens, the TOTP second
  factor: ``create_account``, ``authenticate``, ``create_token``, ``Login``;
* ``passwords`` — the password policy (``check``) and argon2id hashing (``hash_password``, ``verify``);
* ``roles`` — roles and their permissions as data: ``Role``, ``ROLES``, ``allows``;
* ``scope`` — the organisation scope of an account, applied by the services: ``Scope``.
"""
