"""The app wiring: ``make_app()`` (a database, an engine and the three instrumented concepts in one
call) and :class:`AppEngine`, the engine as the template's ``main.ts`` runs it.

The sync engine (:mod:`sessioning.gen2025.engine`) knows no HTTP and no database. Here it is
plugged together with them, as the template's generated ``concepts.ts`` and ``main.ts`` do:
the HTTP front (:class:`~sessioning.gen2025.server.RequestingServer`), the write capture of the
kit's database (each action's writes in the record) and fault injection (``db.faults``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sessioning.db.connect import connect
from sessioning.db.watch import recording_writes

from .auth_syncs import auth_syncs, variants_help
from .concepts import RequestingConcept, SessioningConcept, UserAuthenticationConcept
from .concepts.authentication import FAST_HASHER
from .engine import Engine, InstrumentedConcept, Logging
from .engine.actions import ActionRecord
from .engine.observer import EngineObserver
from .server import RequestingServer, Response


class ActionFaults(EngineObserver):
    """Fault injection for actions: before an action of a concept whose database has faults
    (``db.faults.fail_action("Concept.action", …)``), the armed error is raised instead."""

    ignores_handles = True  # before_call reads only the record

    def __init__(self) -> None:
        self._faults: dict[int, Any] = {}  # id(concept) → its database's Faults

    def watch(self, concept: Any) -> None:
        """Check the faults of ``concept``'s database (if it has a ``db`` with ``faults``)."""
        faults = getattr(getattr(concept, "db", None), "faults", None)
        if faults is not None:
            self._faults[id(concept)] = faults

    def before_call(self, record: ActionRecord, handle: Any) -> None:
        action = record.action
        faults = self._faults.get(id(action.concept))
        if faults is not None:
            faults.check("action", action.label)


class AppEngine(Engine):
    """The sync engine with the template's HTTP front, the database's write capture and fault
    injection plugged in (``sessioning.Engine``). Same arguments as the engine."""

    def __init__(self, logging: Logging | str = Logging.TRACE, *, version: int = 2,
                 retention: int | None = 1000, record: bool = True) -> None:
        super().__init__(logging, version=version, retention=retention, record=record)
        self.recorder.capture_writes = recording_writes
        self.faults = ActionFaults()
        self.add_observer(self.faults)
        self.server = RequestingServer(self)

    def instrument(self, concept: Any) -> InstrumentedConcept:
        wrapped = super().instrument(concept)
        self.faults.watch(concept)
        return wrapped

    # The HTTP front, as the engine offered it before it moved beside Requesting.
    def request(self, path: str, body: Mapping[str, Any] | None = None, /, *, wait: bool = False,
                **inputs: Any) -> Response:
        """``RequestingServer.request``: ``POST /api<path>`` through the Requesting concept."""
        return self.server.request(path, body, wait=wait, **inputs)

    def http_post(self, url_path: str, body: Any = None, *, base_url: str = "/api", wait: bool = False) -> Response:
        """``RequestingServer.http_post``: passthrough routes first, then the Requesting catch-all."""
        return self.server.http_post(url_path, body, base_url=base_url, wait=wait)

    def enable_passthrough(self, inclusions: Mapping[str, str] | None = None, exclusions: Iterable[str] = (),
                           *, base_url: str = "/api") -> list[str]:
        """``RequestingServer.enable_passthrough``: the template's ``/api/<Concept>/<method>`` routes."""
        return self.server.enable_passthrough(inclusions, exclusions, base_url=base_url)


@dataclass
class App:
    """A small backend: ``db``, ``engine`` and the instrumented ``Requesting``, ``UserAuthentication``, ``Sessioning``."""

    db: Any
    engine: AppEngine
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
    """Wire the authenticate-then-create app (embedded database unless ``db`` is given).

    ``syncs`` is a variant name of :func:`sessioning.auth_syncs`, a ``{name: sync}`` dict of your
    own, or ``None`` (no syncs). The variants:

{variants}

    ``fast_hash`` uses a cheap Argon2 setting (tests and demos only); ``timeout`` (ms) is how long
    a request waits for its answer before a 504.
    """
    db = db if db is not None else connect(embedded=True)
    engine = AppEngine(logging, version=version, retention=retention)
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


# The docstring lists the syncs= choices from the variants themselves, so it cannot go stale.
make_app.__doc__ = (make_app.__doc__ or "").replace("{variants}", variants_help("        "))

__all__ = ["ActionFaults", "App", "AppEngine", "make_app"]
