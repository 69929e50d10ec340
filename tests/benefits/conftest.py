"""Every benefit test runs with the workflows' transitions watched: a status change that its workflow
does not list (renkou.core.workflow) fails the test that made it (tests/benefits/transitions.py)."""

from __future__ import annotations

import pytest

from tests.benefits.transitions import Seen


@pytest.fixture(autouse=True)
def transitions():
    with Seen() as seen:
        yield seen
    assert seen.unlisted() == [], "status changes that their workflow does not list"
