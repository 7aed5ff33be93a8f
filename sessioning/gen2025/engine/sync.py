"""The sync engine: the course engine's ``SyncConcept`` semantics in Python, recording as it goes.

Rules (course-engine.md §4-§10): a new flow per outside call, inherited by ``then`` actions;
``when`` matches only records of the current flow, partially, with ``None`` present and absent
keys missing; an empty output pattern matches every completion; ``synced`` marks let a record
take part in a sync at most once; ``where`` runs only on non-empty frames (v2); every ``then``
input is resolved before any action runs; ``then`` output patterns bind nothing; execution is
depth-first and sequential; the engine catches nothing.
"""

from __future__ import annotations

import contextvars
import enum
import threading
import time
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sessioning import console
from sessioning.db.watch import recording_writes
from sessioning.ids import random_v4
from sessioning.masking import is_secret_key, mask_secrets, mask_text, mask_value
from sessioning.record import ActionEntry, Evaluation, Run, concept_name, plain

from .actions import MISSING, RUNNING, ActionPattern, ActionRecord, InstrumentedAction, InstrumentedConcept
from .errors import (
    ActionMissing,
    EngineError,
    MissingActionId,
    MissingBinding,
    NotIterable,
    SyncDefinitionError,
    WhenMissingOutput,
)
from .frames import Frames, current_where
from .inspect_format import UNDEFINED, deno_format, node_inspect
from .vars import FLOW, Var, sync_vars


class Logging(enum.IntEnum):
    OFF = 0
    TRACE = 1
    VERBOSE = 2


@dataclass
class Sync:
    name: str
    fn: Callable
    vars: dict[str, Var]
    when: list[ActionPattern]
    where: Callable | None
    then: list[ActionPattern]
    action_vars: list[Var] = field(default_factory=list)


@dataclass
class _Context:
    """Why an action is running: which sync fired it, for which record, how deep."""

    sync: str | None = None
    trigger: str | None = None
    depth: int = 0


_context: contextvars.ContextVar[_Context | None] = contextvars.ContextVar("sessioning_ctx", default=None)


class Engine:
    """Instrument concepts, register syncs, and run flows exactly as the course engine would.

    ``logging``: ``Logging.TRACE`` (default, like ``main.ts``), ``VERBOSE`` or ``OFF``.
    ``version``: 2 (``where`` only on non-empty frames) or 1 (the 2025-10-25 engine).
    ``retention``: how many flows the record keeps (``None`` = all); ``record=False`` keeps none.
    """

    def __init__(self, logging: Logging | str = Logging.TRACE, *, version: int = 2,
                 retention: int | None = 1000, record: bool = True) -> None:
        self.logging = Logging[logging.upper()] if isinstance(logging, str) else Logging(logging)
        if version not in (1, 2):
            raise ValueError("version is 1 (where runs on zero frames) or 2 (the engine most apps run)")
        self.version = version
        self.syncs: dict[str, Sync] = {}
        self.syncs_by_action: dict[InstrumentedAction, list[Sync]] = {}
        self.concepts: list[InstrumentedConcept] = []
        self.run = Run(retention)
        self.recording = record
        self._flows: dict[str, list[ActionRecord]] = {}
        self._by_id: dict[str, ActionRecord] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<Engine v{self.version}, logging {self.logging.name}, {len(self.concepts)} concepts, {len(self.syncs)} syncs>"

    # -- setting up -------------------------------------------------------------------------------
    def instrument(self, concept: Any) -> InstrumentedConcept:
        """Wrap a concept: its actions become instrumented, its ``_queries`` stay plain."""
        if isinstance(concept, InstrumentedConcept):
            raise TypeError("this concept is already instrumented")
        wrapped = InstrumentedConcept(self, concept)
        self.concepts.append(wrapped)
        return wrapped

    def register(self, syncs: Mapping[str, Callable] | Iterable[Callable] | types.ModuleType) -> None:
        """Register syncs: ``{name: function}``, a list of functions, or a module of them.

        Each function is called once with one fresh variable per parameter; it returns
        ``{"when": actions(...), "where": optional function, "then": actions(...)}``.
        """
        for name, fn in _named_syncs(syncs):
            sync = self._build(name, fn)
            self.syncs[name] = sync
            self.run.syncs.append(name)
            self.run.sync_defs[name] = {
                "when": [{"action": p.label, **p.texts()} for p in sync.when],
                "then": [{"action": p.label, **p.texts()} for p in sync.then],
                "where": sync.where is not None,
            }
            seen = set()
            for pattern in sync.when:
                if pattern.action not in seen:
                    seen.add(pattern.action)
                    self.syncs_by_action.setdefault(pattern.action, []).append(sync)

    def _build(self, name: str, fn: Callable) -> Sync:
        if not callable(fn):
            raise SyncDefinitionError(f"sync {name!r} is not a function")
        variables = sync_vars(fn)
        try:
            spec = fn(**variables)
        except EngineError as e:
            e.add_context(sync=name)
            raise
        if not isinstance(spec, Mapping) or "when" not in spec or "then" not in spec:
            raise SyncDefinitionError(
                f"sync {name!r} must return {{'when': actions(...), 'then': actions(...)}} (and optionally 'where')",
                sync=name,
            )
        unknown = set(spec) - {"when", "where", "then"}
        if unknown:
            raise SyncDefinitionError(f"sync {name!r} has unknown keys {sorted(unknown)}: only when, where, then", sync=name)
        where = spec.get("where")
        if where is not None and not callable(where):
            raise SyncDefinitionError(f"sync {name!r}: 'where' must be a function of frames", sync=name)
        for part in ("when", "then"):
            if not isinstance(spec[part], list) or not all(isinstance(p, ActionPattern) for p in spec[part]):
                raise SyncDefinitionError(f"sync {name!r}: '{part}' must be actions([...], ...)", sync=name)
        if not spec["when"]:
            raise SyncDefinitionError(f"sync {name!r} has an empty 'when': it could never fire", sync=name)
        action_vars = [Var(f"action_{i}") for i in range(len(spec["when"]))]
        return Sync(name, fn, variables, spec["when"], where, spec["then"], action_vars)

    # -- running actions --------------------------------------------------------------------------
    def _invoke(self, action: InstrumentedAction, given: dict[str, Any], flow: str | None,
                parent: _Context | None, action_id: str | None = None) -> Any:
        if flow is not None and not isinstance(flow, str):
            raise EngineError("Flow token not string.")
        flow = flow or random_v4()
        record = ActionRecord(action_id or random_v4(), action, given, flow)
        with self._lock:
            self._flows.setdefault(flow, []).append(record)
            self._by_id[record.id] = record
        outer = parent is None
        entry = self._record_start(record, parent) if self.recording else None
        try:
            faults = getattr(getattr(action.concept, "db", None), "faults", None)
            if faults is not None:
                faults.check("action", action.label)
            started = time.perf_counter()
            where_rec = current_where.get()
            token = current_where.set(None)  # an action called inside `where` is not part of it
            try:
                with recording_writes(entry.writes.append if entry is not None else None):
                    output = action.call_method(given)
            finally:
                current_where.reset(token)
            if entry is not None:
                entry.duration_ms = round((time.perf_counter() - started) * 1000, 3)
                if where_rec is not None:
                    entry.called_from = where_rec.sync
            record.output = output
            if entry is not None:
                entry.output = output
                entry.status = "error" if isinstance(output, dict) and "error" in output else "ok"
            if self.logging == Logging.TRACE:
                shown_out = UNDEFINED if output is None else mask_secrets(output)
                console.log(f"\n{action.label} {node_inspect(mask_secrets(given))} => {node_inspect(shown_out)}\n")
            self._synchronize(record, parent.depth + 1 if parent else 1)
            return output
        except BaseException as e:
            if entry is not None and entry.status == "running":
                entry.status = "exception"
                entry.error = getattr(e, "original", None) or str(e)
                entry.error_type = type(e).__name__
                details = getattr(e, "details", None)  # pymongo's keyPattern / keyValue for E11000
                if isinstance(details, dict):
                    entry.error_details = plain(details)
            raise
        finally:
            if outer:
                self._forget_flow(flow)

    def _record_start(self, record: ActionRecord, parent: _Context | None) -> ActionEntry:
        log = self.run.flow(record.flow)
        entry = ActionEntry(
            self.run.next_seq(), record.id, record.flow, record.action.concept_name, record.action.name,
            dict(record.input), sync=parent.sync if parent else None, trigger=parent.trigger if parent else None,
            depth=parent.depth if parent else 0, started=time.time(),
        )
        log.actions.append(entry)
        return entry

    def _forget_flow(self, flow: str) -> None:
        # A finished outside call's flow can never be matched again: free its records.
        with self._lock:
            for rec in self._flows.pop(flow, ()):
                self._by_id.pop(rec.id, None)

    # -- synchronizing ----------------------------------------------------------------------------
    def _synchronize(self, record: ActionRecord, depth: int) -> None:
        if self.logging == Logging.VERBOSE:
            console.log(self._verbose_record(record))
        syncs = self.syncs_by_action.get(record.action, ())
        log = self.run.flow(record.flow).evaluations if self.recording and syncs else None
        for sync in syncs:
            ev = None
            if log is not None:
                ev = Evaluation(self.run.next_seq(), record.flow, record.id, record.action.label, sync.name)
                log.append(ev)
            try:
                self._fire(sync, record, depth, ev)
            except BaseException as e:
                if ev is not None and ev.error is None:
                    ev.error = getattr(e, "original", None) or str(e)
                    ev.error_type = type(e).__name__
                    ev.error_facts = error_facts(e)
                if isinstance(e, EngineError):
                    e.add_context(sync=sync.name, flow=record.flow)
                raise

    def _fire(self, sync: Sync, record: ActionRecord, depth: int, ev: Evaluation | None) -> None:
        frames = self._match_when(sync, record, ev)
        if ev is not None:
            ev.frames_when = frames
        if not frames and (self.version == 2 or sync.where is None):
            return
        if self.logging == Logging.VERBOSE and frames:
            console.log(f"Matched `sync`: {sync.name} with `when`: {_deno_frames(frames)}")
        if sync.where is not None:
            token = current_where.set(ev)
            try:
                result = sync.where(frames)
            finally:
                current_where.reset(token)
            if result is None:
                raise NotIterable(
                    "TypeError: Cannot read properties of undefined (reading 'length')"
                    if self.logging == Logging.VERBOSE else "TypeError: frames is not iterable",
                    sync=sync.name,
                )
            if not isinstance(result, Iterable) or isinstance(result, (dict, str)):
                raise NotIterable("TypeError: frames is not iterable", sync=sync.name, value=result)
            frames = result if isinstance(result, Frames) else Frames(result)
            if ev is not None:
                ev.frames_where = frames
            if self.logging == Logging.VERBOSE and len(frames):
                console.log(f"After processing `where`: {_deno_frames(frames)}")
        if not frames:
            return
        calls = self._resolve_then(sync, frames, ev)
        if ev is not None:
            ev.fired = len(frames)
        ctx = _Context(sync.name, record.id, depth)
        for action, given, flow, action_id in calls:
            if self.logging == Logging.VERBOSE:
                shown = {**mask_secrets(given), FLOW: flow, Var("actionId"): action_id}
                console.log(f"{sync.name}: THEN {action.ts_repr} {deno_format(shown)}")
            self._invoke(action, given, flow, ctx, action_id)

    def _match_when(self, sync: Sync, record: ActionRecord, ev: Evaluation | None) -> Frames:
        flow_records = self._flows.get(record.flow, ())
        frames: list[dict] = [{FLOW: record.flow}]
        for i, pattern in enumerate(sync.when):
            next_frames: list[dict] = []
            best: tuple[int, dict[str, Any]] | None = None  # (progress, failure) of the closest miss
            target = pattern.action
            candidates = [c for c in flow_records if c.action is target]
            for frame in frames:
                for cand in candidates:
                    if sync.name in cand.synced:
                        best = _closer(best, 0, {"reason": "synced", "text": f"`{pattern.label}` of this flow already took part in this sync"})
                        continue
                    extended, progress, failure = _match_record(pattern, cand, frame)
                    if extended is None:
                        best = _closer(best, progress, failure)
                        continue
                    extended[sync.action_vars[i]] = cand.id
                    next_frames.append(extended)
            if ev is not None:
                failure = None
                if not next_frames:
                    failure = best[1] if best else {
                        "reason": "no_record",
                        "text": f"no `{pattern.label}` has completed in this flow"
                                + (" (it may run later in the cascade, or in another flow)" if frames else ""),
                    }
                    failure.update({"pattern": i, "action": pattern.label})
                ev.when.append({"pattern": i, "action": pattern.label, **pattern.texts(),
                                "frames": len(next_frames), "failure": failure})
            frames = next_frames
            if not frames:
                # Record the remaining patterns as not reached, then stop: the product is empty.
                if ev is not None:
                    for j in range(i + 1, len(sync.when)):
                        ev.when.append({"pattern": j, "action": sync.when[j].label, **sync.when[j].texts(),
                                        "frames": 0, "failure": None})
                break
        return Frames(frames)

    def _resolve_then(self, sync: Sync, frames: Frames, ev: Evaluation | None) -> list[tuple]:
        calls = []
        for frame in frames:
            records = []
            for var in sync.action_vars:
                action_id = frame.get(var) if isinstance(frame, dict) else None
                if not isinstance(action_id, str):
                    raise MissingActionId(sync=sync.name)
                rec = self._by_id.get(action_id)
                if rec is None:
                    raise ActionMissing(f"Action {rec} missing or missing synced Map.", sync=sync.name)
                records.append(rec)
            resolved = []
            for index, pattern in enumerate(sync.then):
                given = {}
                for key, value in pattern.input.items():
                    if isinstance(value, Var):
                        if value not in frame:
                            raise self._missing_binding(sync, index, pattern, key, value, frame, ev)
                        given[key] = frame[value]
                    else:
                        given[key] = value
                resolved.append((pattern.action, given, frame.get(FLOW), random_v4()))
            for rec in records:
                rec.synced[sync.name] = resolved[0][3] if resolved else ""
            if ev is not None:
                ev.then.extend({"action": a.label, "input": plain(g)} for a, g, _f, _i in resolved)
            calls.extend(resolved)
        return calls

    def _missing_binding(self, sync: Sync, index: int, pattern: ActionPattern, key: str, var: Var, frame: dict,
                         ev: Evaluation | None) -> MissingBinding:
        from .explain import explain_missing_binding

        info = explain_missing_binding(sync, index, pattern, key, var, frame, ev)
        return MissingBinding(var, frame, sync=sync.name, entry=index, action=pattern.label, key=key, **info)

    # -- requests ---------------------------------------------------------------------------------
    def _requesting(self) -> InstrumentedConcept:
        from sessioning.gen2025.concepts.requesting import RequestingConcept

        for c in self.concepts:
            if isinstance(c.concept, RequestingConcept):
                return c
        raise RuntimeError("No Requesting concept is instrumented: Requesting = engine.instrument(RequestingConcept(db))")

    def request(self, path: str, body: Mapping[str, Any] | None = None, /, *, wait: bool = False, **inputs: Any) -> Response:
        """Do what the template's ``POST /api/*`` handler does for ``path`` (the part after ``/api``).

        Runs ``Requesting.request({...body, path})`` with its whole cascade, then answers like the
        handler: 200 with the first response, 500 if anything threw, 504 if nothing responded.
        The 504 is reported at once (nothing can respond after the cascade) unless ``wait=True``.
        """
        from sessioning.gen2025.concepts.requesting import RequestTimeout

        requesting = self._requesting()
        if body is not None and not isinstance(body, Mapping):
            return Response(400, {"error": "Invalid request body. Must be a JSON object."}, path=path)
        data = {**(body or {}), **inputs, "path": path}
        console.log(f"[Requesting] Received request for path: {path}")
        request_id = None
        flow = random_v4()
        try:
            output = self._invoke(requesting.request, data, flow=flow, parent=None)
            request_id = output.get("request") if isinstance(output, dict) else None
            rows = requesting.concept._awaitResponse(request=request_id, wait=wait)
            response = Response(200, rows[0]["response"], request=request_id, flow=flow, path=path)
        except Exception as e:
            message = getattr(e, "original", None) or str(e)
            console.error(f"[Requesting] Error processing request: {mask_text(message)}")
            extra = str(e)[len(message):].strip("\n") if str(e).startswith(message) else ""
            if extra:
                console.error(mask_text(extra))
            timed_out = isinstance(e, RequestTimeout) or "timed out" in message
            status, body_out = (504, {"error": "Request timed out."}) if timed_out else (500, {"error": "An internal server error occurred."})
            if request_id is None and flow in self.run.flows:
                request_id = self.run.flows[flow].request_id
            response = Response(status, body_out, request=request_id, flow=flow, path=path, error=e, message=message)
        if self.recording and response.flow:
            log = self.run.flow(response.flow)
            log.request, log.path = response.request, path
            log.response = {"status": response.status, "body": plain(response.body), "message": response.message,
                            "error_type": type(response.error).__name__ if response.error else None,
                            **({"facts": error_facts(response.error)} if response.error is not None else {})}
            log.outcome = {200: "responded", 504: "timed out", 500: "error"}.get(response.status, str(response.status))
        return response

    def enable_passthrough(self, inclusions: Mapping[str, str] | None = None, exclusions: Iterable[str] = (),
                           *, base_url: str = "/api") -> list[str]:
        """Register the template's passthrough routes ``/api/<Concept>/<method>`` and print its start-up lines.

        Every own method of every instrumented concept except Requesting gets a route (actions,
        ``_queries`` and helpers alike) unless excluded; routes not in ``inclusions`` are logged
        ``WARNING - UNVERIFIED ROUTE`` and still registered. They are tried before the Requesting
        catch-all, so a passthrough route shadows any sync on the same path (F15).
        """
        from sessioning.gen2025.concepts.requesting import RequestingConcept

        inclusions = dict(inclusions or {})
        excluded = set(exclusions)
        self._passthrough: dict[str, tuple[InstrumentedConcept, str]] = {}
        console.log("\nRegistering concept passthrough routes.")
        unverified = False
        for wrapped in self.concepts:
            if isinstance(wrapped.concept, RequestingConcept):
                continue
            cls = type(wrapped.concept)
            name = concept_name(cls)
            for method, fn in vars(cls).items():
                if method.startswith("__") or not callable(fn):
                    continue
                route = f"{base_url}/{name}/{method}"
                if route in excluded:
                    continue
                if route in inclusions:
                    console.log(f"  -> {route}")
                else:
                    console.log(f"WARNING - UNVERIFIED ROUTE: {route}")
                    unverified = True
                self._passthrough[route] = (wrapped, method)
        if unverified:
            console.log("FIX: Please verify routes in: ./src/concepts/Requesting/passthrough.ts")
        return list(self._passthrough)

    def http_post(self, url_path: str, body: Any = None, *, base_url: str = "/api", wait: bool = False) -> Response:
        """``POST url_path`` as the Hono server sees it: passthrough routes first (if enabled),
        then the Requesting catch-all, which strips the base URL off the path."""
        route = getattr(self, "_passthrough", {}).get(url_path.split("?")[0])
        if route is not None:
            wrapped, method = route
            label = f"{concept_name(wrapped.concept)}.{method}"
            try:
                result = getattr(wrapped, method)(**(body if isinstance(body, dict) else {}))
            except Exception as e:
                console.error(f"Error in {label}:", e)
                return Response(500, {"error": "An internal server error occurred."}, path=url_path, error=e, message=str(e))
            flow = self.run.last_flow() if self.recording else None
            if flow is not None and flow.actions and flow.actions[0].label == label:
                flow.path, flow.outcome = url_path, "passthrough"
            return Response(200, result, path=url_path, flow=flow.flow if flow else None)
        if not url_path.startswith(base_url + "/"):
            return Response(404, "404 Not Found", path=url_path)
        path = url_path[len(base_url):].split("?")[0]
        if body is None:
            body = {}
        return self.request(path, body, wait=wait)

    # -- VERBOSE formatting -----------------------------------------------------------------------
    def _verbose_record(self, record: ActionRecord) -> str:
        synced = ", ".join(f'"{k}" => "{v}"' for k, v in record.synced.items())
        out = record.output_value()
        return (
            "Synchronizing action: {\n"
            f'  id: "{record.id}",\n'
            f"  action: {record.action.ts_repr},\n"
            f'  concept: "{type(record.concept).__name__}",\n'
            f"  input: {deno_format(mask_secrets(record.input))},\n"
            f"  synced: Map({len(record.synced)}) {{{(' ' + synced + ' ') if synced else ''}}},\n"
            f'  flow: "{record.flow}",\n'
            f"  output: {deno_format(mask_secrets(out) if out is not UNDEFINED else out)}\n"
            "}"
        )


def error_facts(e: BaseException) -> dict[str, Any]:
    """What an engine error knows beyond its message (code, explanation, fix, variable, …), as plain data."""
    if not isinstance(e, EngineError):
        details = getattr(e, "details", None)
        return {"details": plain(details)} if isinstance(details, dict) else {}
    facts: dict[str, Any] = {"code": getattr(e, "code", None), "explanation": e.explanation, "fix": e.fix, "sync": e.sync}
    for key, value in e.facts.items():
        facts[key] = value.name if isinstance(value, Var) else plain(value)
    variable = getattr(e, "variable", None)
    if variable is not None:
        facts["variable"] = getattr(variable, "name", str(variable))
        facts["bound"] = plain(getattr(e, "bound", {}))
    return facts


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


def _deno_frames(frames: list) -> str:
    return f"Frames({len(frames)}) [ " + ", ".join(deno_format(mask_secrets_frame(f)) for f in frames) + " ]"


def mask_secrets_frame(frame: dict) -> dict:
    return {k: mask_value(k.name if isinstance(k, Var) else k, v) for k, v in frame.items()}


def _closer(best: tuple[int, dict] | None, progress: int, failure: dict) -> tuple[int, dict]:
    return (progress, failure) if best is None or progress > best[0] else best


_OBJECTS = (dict, list)


def _same(a: Any, b: Any) -> bool:
    """JavaScript ``===``: scalars by value, objects and arrays by identity."""
    ta, tb = type(a), type(b)
    if ta is tb and ta is str:
        return a == b
    if isinstance(a, _OBJECTS) or isinstance(b, _OBJECTS):
        return a is b
    if (ta is bool) != (tb is bool):
        return False
    return a == b


def _match_record(pattern: ActionPattern, record: ActionRecord, frame: dict) -> tuple[dict | None, int, dict]:
    """Extend ``frame`` with ``record`` or say why not: (frame | None, keys matched, failure)."""
    new = frame.copy()
    progress = 1
    rec_input = record.input
    for key, want in pattern.input.items():
        if key not in rec_input:
            return None, progress, {"side": "input", "key": key, "reason": "absent",
                                    "text": f"`{pattern.label}` input has no `{key}` (it has {', '.join(rec_input) or 'no keys'})"}
        failure = _bind(new, "input", key, want, rec_input[key], pattern.label)
        if failure is not None:
            return None, progress, failure
        progress += 1
    if pattern.output is MISSING:
        raise WhenMissingOutput(action=pattern.label)
    output = record.output
    for key, want in pattern.output.items():
        if output is RUNNING or not isinstance(output, dict) or key not in output:
            if output is RUNNING:
                text = f"`{pattern.label}` has not finished yet, so its output has no `{key}`"
            elif isinstance(output, dict):
                shown = ", ".join(output) or "nothing ({})"
                text = f"`{pattern.label}` returned {shown}, not `{key}`"
                if "error" in output:
                    text += f" (error: {str(mask_value('error', output['error']))[:80]!r})"
            else:
                text = f"`{pattern.label}` returned {type(output).__name__ if output is not None else 'undefined'}, which has no `{key}`"
            return None, progress, {"side": "output", "key": key, "reason": "output_absent", "text": text}
        failure = _bind(new, "output", key, want, output[key], pattern.label)
        if failure is not None:
            return None, progress, failure
        progress += 1
    return new, progress, {}


def _bind(frame: dict, side: str, key: str, want: Any, have: Any, label: str) -> dict | None:
    """Bind or compare one pattern key against a record's value; the failure, or ``None`` if it holds."""
    if type(want) is Var:
        if want not in frame:
            frame[want] = have
            return None
        return None if _same(frame[want], have) else _bound_failure(side, key, want, have, frame[want])
    return None if _same(want, have) else _literal_failure(side, key, want, have, label)


def _shown(key: str, value: Any) -> Any:
    # Only secret-named keys are masked here; free text is masked where it is displayed.
    return mask_value(key, value) if is_secret_key(key) else value


def _bound_failure(side: str, key: str, var: Var, have: Any, bound: Any) -> dict:
    return {"side": side, "key": key, "reason": "bound_mismatch",
            "text": f"`{key}` is {_shown(key, have)!r} but `{var.name}` is already {_shown(key, bound)!r}"}


def _literal_failure(side: str, key: str, want: Any, have: Any, label: str) -> dict:
    hint = ""
    if isinstance(want, str) and isinstance(have, str):
        if have.startswith("/api/") and not want.startswith("/api/"):
            hint = " (the request path never includes the /api prefix)"
        elif want.startswith("/api/"):
            hint = " (drop the /api prefix: the engine sees the path after the base URL)"
        elif want.lower() == have.lower():
            hint = " (case differs)"
        elif want.rstrip("/") == have.rstrip("/"):
            hint = " (trailing slash differs)"
    reason = "literal_mismatch" if not isinstance(want, _OBJECTS) else "literal_object"
    if reason == "literal_object":
        hint = " (objects and arrays compare by identity, so a literal object never matches)"
    shown = _shown(key, have)
    return {"side": side, "key": key, "reason": reason, "expected": want, "actual": shown,
            "text": f"`{label}` {side} `{key}` is {shown!r}, the pattern wants {want!r}{hint}"}


def _named_syncs(syncs: Any) -> list[tuple[str, Callable]]:
    if isinstance(syncs, types.ModuleType):
        prefix = syncs.__name__.rsplit(".", 1)[-1]
        return [(f"{prefix}.{n}", f) for n, f in vars(syncs).items()
                if isinstance(f, types.FunctionType) and not n.startswith("_") and f.__module__ == syncs.__name__]
    if isinstance(syncs, Mapping):
        return list(syncs.items())
    if callable(syncs):
        return [(syncs.__name__, syncs)]
    if isinstance(syncs, Iterable):
        return [(getattr(f, "__name__", str(f)), f) for f in syncs]
    raise TypeError("register takes {name: sync}, a list of sync functions, or a module")
