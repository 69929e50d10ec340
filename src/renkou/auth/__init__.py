"""Accounts, roles and the organisation scope every query is limited to.

* ``accounts`` — create and authenticate accounts (lockout), passwords, API tokens, the TOTP second
  factor: ``create_account``, ``authenticate``, ``create_token``, ``Login``;
* ``officer`` — the acting officer (role, area, audit name) every write service takes and checks:
  ``Officer`` (``system``, ``for_account``, ``of``), ``Forbidden``;
* ``passwords`` — the password policy (``check``) and argon2id hashing (``hash_password``, ``verify``);
* ``roles`` — roles and their permissions as data: ``Role``, ``ROLES``, ``allows``;
* ``scope`` — the organisation scope of an account, applied by the services: ``Scope``.
"""
