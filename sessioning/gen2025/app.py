"""``make_app()``: a database, an engine and the three instrumented concepts, wired in one call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sessioning.db.connect import connect
from sessioning.gen2025.concepts.authentication import FAST_HASHER

from .auth_syncs import auth_syncs
from .concepts import RequestingConcept, SessioningConcept, UserAuthenticationConcept
from .engine import Engine, InstrumentedConcept, Logging, Response


@dataclass
class App:
    """A small backend: ``db``, ``engine`` and the instrumented ``Requesting``, ``UserAuthentication``, ``Sessioning``."""

    db: Any
    engine: Engine
    Requesting: InstrumentedConcept
    UserAuthentication: InstrumentedConcept
    Sessioning: InstrumentedConcept
    variant: str | None = None

    def request(self, path: str, body: dict | None = None, /, **inputs: Any) -> Response:
        return self.engine.request(path, body, **inputs)

    def __repr__(self) -> str:
        return f"<App {self.variant or 'custom'} syncs on {self.db!r}>"


def make_app(db: Any = None, *, syncs: str | dict | None = "correct", logging: Logging | str = Logging.TRACE,
             fast_hash: bool = False, version: int = 2, retention: int | None = 1000, timeout: int | None = None) -> App:
    """Wire the authenticate-then-create app. ``syncs`` is a variant name of
    :func:`sessioning.auth_syncs.auth_syncs`, a ``{name: sync}`` dict of your own, or ``None``.
    ``fast_hash`` uses a cheap Argon2 setting (tests and demos only)."""
    db = db if db is not None else connect(embedded=True)
    engine = Engine(logging, version=version, retention=retention)
    app = App(
        db=db,
        engine=engine,
        Requesting=engine.instrument(RequestingConcept(db, timeout=timeout)),
        UserAuthentication=engine.instrument(UserAuthenticationConcept(db, hasher=FAST_HASHER if fast_hash else None)),
        Sessioning=engine.instrument(SessioningConcept(db)),
        variant=syncs if isinstance(syncs, str) else None,
    )
    if isinstance(syncs, str):
        engine.register(auth_syncs(app, syncs))
    elif syncs:
        engine.register(syncs)
    return app
