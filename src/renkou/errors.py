"""Errors a user can cause, each carrying a message in Chinese and English.

A `UserError` is printed without a traceback and makes the CLI exit with code 1; anything else is an
internal error (exit code 2). Keep messages free of personal data: they may reach log files.
"""

from __future__ import annotations

from renkou.core.problems import Problem


class UserError(Exception):
    """A mistake in the user's input or request. `zh` is shown first, `en` after it."""

    def __init__(self, zh: str, en: str, *, code: str = "user_error") -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en
        self.code = code

    def bilingual(self) -> str:
        return f"{self.zh}\n{self.en}"


class NotFound(UserError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh, en, code="not_found")


class ConcurrentEdit(UserError):
    """The record changed since the user loaded it: the second save is refused, nothing is lost."""

    def __init__(self, what_zh: str, what_en: str, expected: int | None = None, actual: int | None = None) -> None:
        vzh = f"（您编辑的是第 {expected} 版，当前为第 {actual} 版）" if expected is not None else ""
        ven = f" (you edited version {expected}, it is now version {actual})" if expected is not None else ""
        super().__init__(
            f"保存被拒绝：该{what_zh}已被他人修改{vzh}。请重新打开记录，核对后再保存。",
            f"Save refused: the {what_en} was changed by someone else{ven}. Reopen the record, check it, and save again.",
            code="concurrent_edit",
        )
        self.expected = expected
        self.actual = actual


class ValidationFailed(UserError):
    """One or more validation problems; `problems` holds each with row, field, value and rule."""

    def __init__(self, problems: list[Problem], zh: str | None = None, en: str | None = None, *, result: object | None = None) -> None:
        n = len(problems)
        super().__init__(
            zh or f"校验未通过：发现 {n} 处错误，未做任何更改。",
            en or f"Validation failed: {n} problem(s) found; nothing was changed.",
            code="validation_failed",
        )
        self.problems = problems
        self.result = result  # an import's ImportResult, when the problems come from a file
