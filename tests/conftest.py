"""Shared fixtures for the test suites. Keep small; add, never remove."""

from __future__ import annotations

import pytest

from sessioning import console, make_app


@pytest.fixture
def quiet_console():
    """Silence the concepts' and engine's console output in every thread for one test."""
    console.set_quiet(True)
    try:
        yield
    finally:
        console.set_quiet(False)


@pytest.fixture
def app(quiet_console):
    """A fresh reference app (correct syncs) on its own embedded database, fast hashing, no trace."""
    return make_app(fast_hash=True, syncs="correct", logging="OFF")


@pytest.fixture
def registered(app):
    """``(app, username, password, user_id)`` with one registered user."""
    username, password = "alice", "correct horse battery staple"
    r = app.request("/register", username=username, password=password)
    assert r.status == 200 and "user" in r.body, r
    return app, username, password, r.body["user"]
