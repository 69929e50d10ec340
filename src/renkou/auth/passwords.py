"""Password policy (pure) and argon2id hashing."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from renkou.config import Settings
from renkou.core.problems import Problem, problem

MIN_LENGTH = 10
# a few of the passwords every list of leaked passwords starts with (lower-cased)
COMMON = frozenset(
    {
        "password",
        "password1",
        "12345678",
        "123456789",
        "1234567890",
        "qwertyuiop",
        "qwerty123",
        "admin123",
        "abc123456",
        "11111111",
        "88888888",
        "iloveyou",
        "woaini1314",
        "a123456789",
        "passw0rd",
        "1q2w3e4r",
    }
)


def check(password: str, *, username: str = "") -> list[Problem]:
    """What is wrong with a new password: at least 10 characters, three of lower case, upper case,
    digits and symbols, not a well-known password, not containing the user name."""
    out = []
    if len(password) < MIN_LENGTH:
        out.append(problem("password_short", "password", "", min=MIN_LENGTH))
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        out.append(problem("password_classes", "password", ""))
    if password.lower() in COMMON:
        out.append(problem("password_common", "password", ""))
    if username and len(username) >= 3 and username.lower() in password.lower():
        out.append(problem("password_username", "password", ""))
    return out


@cache
def _hasher() -> PasswordHasher:
    # the cost is a setting of the whole process (Settings.argon2_profile), read once
    if Settings.from_env().argon2_profile == "test":  # the test suite only: cheap, still argon2id
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    return PasswordHasher(type=Type.ID)  # argon2id with the library's RFC 9106 low-memory profile


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify(stored: str, password: str) -> bool:
    try:
        return _hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher().check_needs_rehash(stored)
