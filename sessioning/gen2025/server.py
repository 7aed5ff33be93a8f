"""The template's HTTP front, beside the Requesting concept (the course's ``startRequestingServer``).

:class:`RequestingServer` does what the Hono server of ``RequestingConcept.ts`` does, without a
socket: ``POST /api/*`` becomes ``Requesting.request({...body, path})`` with its whole cascade,
then ``_awaitResponse``, answered 200 / 500 / 504 (:meth:`~RequestingServer.request`,
:meth:`~RequestingServer.http_post`); the passthrough routes ``/api/<Concept>/<method>`` are
registered and logged as the template logs them (:meth:`~RequestingServer.enable_passthrough`).
The engine knows nothing of HTTP; the server records each answer in the engine's run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sessioning import console, failure_modes
from sessioning.ids import random_v4
from sessioning.masking import mask_secrets, mask_text
from sessioning.record import concept_name, plain

from .concepts.requesting import RequestingConcept, RequestTimeout
from .engine.errors import error_facts
from .engine.instrument import InstrumentedConcept
from .engine.sync import Engine

_OUTCOMES = {200: "responded", 504: "timed out", 500: "error"}


@dataclass
class Response:
    """What the template's HTTP handler would answer."""

    status: int
    body: Any
    request: str | None = None
    flow: str | None = None
    path: str | None = None
    error: BaseException | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __repr__(self) -> str:
        body = mask_secrets(self.body) if isinstance(self.body, dict) else self.body
        tail = f", error={self.message!r}" if self.message else ""
        return f"Response({self.status}, {body!r}{tail})"


class RequestingServer:
    """The HTTP front of one engine: the Requesting catch-all and the passthrough routes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.passthrough: dict[str, tuple[InstrumentedConcept, str]] = {}
        # (concepts seen, the one found, its instrumented ``request``: the same object on every read,
        # the Requesting concept itself)
        self._requesting: tuple[int, InstrumentedConcept, Any, RequestingConcept] | None = None

    def requesting(self) -> InstrumentedConcept:
        """The engine's instrumented Requesting concept."""
        concepts = self.engine.concepts
        found = self._requesting
        if found is not None and found[0] == len(concepts):
            return found[1]  # concepts are only ever added: the first Requesting stays the first
        for c in concepts:
            if isinstance(c.concept, RequestingConcept):
                self._requesting = (len(concepts), c, c.request, c.concept)
                return c
        raise RuntimeError("No Requesting concept is instrumented: Requesting = engine.instrument(RequestingConcept(db))")

    def request(self, path: str, body: Mapping[str, Any] | None = None, /, *, wait: bool = False,
                **inputs: Any) -> Response:
        """Do what the template's ``POST /api/*`` handler does for ``path`` (the part after ``/api``).

        Runs ``Requesting.request({...body, path})`` with its whole cascade, then answers like the
        handler: 200 with the first response, 500 if anything threw, 504 if nothing responded.
        The 504 is reported at once (nothing can respond after the cascade) unless ``wait=True``.
        """
        self.requesting()
        _, _, request_action, concept = self._requesting
        if body is None:
            data = {**inputs, "path": path} if inputs else {"path": path}
        elif isinstance(body, Mapping):
            data = {**body, **inputs, "path": path}
        else:
            return Response(400, {"error": "Invalid request body. Must be a JSON object."}, path=path)
        console.log(f"[Requesting] Received request for path: {path}")
        request_id = None
        flow = random_v4()
        try:
            output = self.engine.invoke(request_action, data, flow)
            request_id = output.get("request") if isinstance(output, dict) else None
            rows = concept._awaitResponse(request=request_id, wait=wait)
            response = Response(200, rows[0]["response"], request_id, flow, path)
        except Exception as e:
            response = self._error_response(e, request_id, flow, path)
            if response.request is not None:  # never awaited now: without this, every 500 stays pending
                concept.release(response.request)
        self._record(response)
        return response

    def _error_response(self, e: Exception, request_id: str | None, flow: str, path: str) -> Response:
        """The handler's ``catch``: the message to stderr, then 504 for a timeout, else 500."""
        message = getattr(e, "original", None) or str(e)
        console.error(f"[Requesting] Error processing request: {mask_text(message)}")
        extra = str(e)[len(message):].strip("\n") if str(e).startswith(message) else ""
        if extra:
            console.error(mask_text(extra))
        elif isinstance(e, RequestTimeout):  # the line above stays the template's; why and fix follow it
            why, fix = failure_modes.explain("F10", "engine", path=path)
            console.error(f"  why: {why}\n  fix: {fix}")
        # The template's test, word for word: any message containing "timed out" (a database's
        # "Server selection timed out" too) is answered 504; the record still says it was an error.
        timed_out = isinstance(e, RequestTimeout) or "timed out" in message
        status, body = ((504, {"error": "Request timed out."}) if timed_out
                        else (500, {"error": "An internal server error occurred."}))
        run = self.engine.run
        if request_id is None and flow in run.flows:
            request_id = run.flows[flow].request_id
        return Response(status, body, request=request_id, flow=flow, path=path, error=e, message=message)

    def _record(self, response: Response) -> None:
        """Keep the answer with its flow in the engine's run."""
        engine = self.engine
        if not response.flow or not engine.recording:
            return
        run = engine.run
        log = run.flows.get(response.flow) or run.flow(response.flow)
        error, body = response.error, response.body
        if error is None and response.status == 200 and type(body) is dict:
            # The usual answer: its body kept as a copy (the caller may change its own), written out
            # as plain data when someone reads it.
            log.answered(response.request, response.path, dict(body), response.message)
            return
        log.request, log.path = response.request, response.path
        log.response = {"status": response.status, "body": plain(body), "message": response.message,
                        "error_type": type(error).__name__ if error else None,
                        **({"facts": error_facts(error)} if error is not None else {})}
        # A 504 is a timeout (no sync responded) only when the request itself timed out; an action's
        # error whose text says "timed out" got the same 504 from the handler, but it is an error.
        timeout = response.status == 504 and (response.error is None or isinstance(response.error, RequestTimeout))
        log.outcome = "error" if response.status == 504 and not timeout else _OUTCOMES.get(response.status, str(response.status))

    def enable_passthrough(self, inclusions: Mapping[str, str] | None = None, exclusions: Iterable[str] = (),
                           *, base_url: str = "/api") -> list[str]:
        """Register the template's passthrough routes ``/api/<Concept>/<method>`` and print its start-up lines.

        Every own method of every instrumented concept except Requesting gets a route (actions,
        ``_queries`` and helpers alike) unless excluded; routes not in ``inclusions`` are logged
        ``WARNING - UNVERIFIED ROUTE`` and still registered. They are tried before the Requesting
        catch-all, so a passthrough route shadows any sync on the same path (F15).
        """
        inclusions = dict(inclusions or {})
        excluded = set(exclusions)
        self.passthrough = {}
        console.log("\nRegistering concept passthrough routes.")
        unverified = False
        for wrapped in self.engine.concepts:
            if isinstance(wrapped.concept, RequestingConcept):
                continue
            cls = type(wrapped.concept)
            for method, fn in vars(cls).items():
                if method.startswith("__") or not callable(fn):
                    continue
                route = f"{base_url}/{concept_name(cls)}/{method}"
                if route in excluded:
                    continue
                if route in inclusions:
                    console.log(f"  -> {route}")
                else:
                    console.log(f"WARNING - UNVERIFIED ROUTE: {route}")
                    unverified = True
                self.passthrough[route] = (wrapped, method)
        if unverified:
            console.log("FIX: Please verify routes in: ./src/concepts/Requesting/passthrough.ts")
        return list(self.passthrough)

    def http_post(self, url_path: str, body: Any = None, *, base_url: str = "/api", wait: bool = False) -> Response:
        """``POST url_path`` as the Hono server sees it: passthrough routes first (if enabled),
        then the Requesting catch-all, which strips the base URL off the path."""
        route = self.passthrough.get(url_path.split("?")[0])
        if route is not None:
            return self._pass_through(url_path, body, *route)
        if not url_path.startswith(base_url + "/"):
            return Response(404, "404 Not Found", path=url_path)
        path = url_path[len(base_url):].split("?")[0]
        if body is None:
            body = {}
        return self.request(path, body, wait=wait)

    def _pass_through(self, url_path: str, body: Any, wrapped: InstrumentedConcept, method: str) -> Response:
        """A passthrough route: the instrumented method called with the body, its result as JSON (200)."""
        label = f"{concept_name(wrapped.concept)}.{method}"
        try:
            result = getattr(wrapped, method)(**(body if isinstance(body, dict) else {}))
        except Exception as e:
            console.error(f"Error in {label}:", e)
            return Response(500, {"error": "An internal server error occurred."}, path=url_path, error=e, message=str(e))
        flow = self.engine.run.last_flow() if self.engine.recording else None
        if flow is not None and flow.actions and flow.actions[0].label == label:
            flow.path, flow.outcome = url_path, "passthrough"
        return Response(200, result, path=url_path, flow=flow.flow if flow else None)


__all__ = ["RequestingServer", "Response"]
