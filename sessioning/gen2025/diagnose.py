"""``diagnose()``: the failure modes of a recorded run and of a database, with the real cause and the fix.

From a run (a :class:`~sessioning.engine.record.Run`, an ``Engine`` or an ``App``):

* F1–F6, UNBOUND — ``Missing binding`` / ``Binding: … not found`` / ``Missing actionId``, with the
  sync, the variable and where it should have come from;
* F8 (``when`` entry without an output pattern), F9 (not an array);
* F10 — a request no request sync matched: the sync, the pattern key and the values that differ;
* F11 — an action ran but no response sync matched: the output key that did not match, or the
  ``where`` step that emptied the frames;
* F12 — two ``Requesting.respond`` for one request; F13 — an auth check that checks nothing;
* F14 — an action called from ``where`` (a new flow) or returning a list;
* F16 — an action that threw (for E11000: the unique index, the value and the document holding it);
* F17 — a login flow that inserted no session: which step should have inserted, and why it never ran.

From a database (:func:`sessioning.readers.database.diagnose_database`): requests without a
response, sessions pointing to missing users, ObjectId/string id mix-ups, a ``test-<DB_NAME>``
database, session collections under other names.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from sessioning.findings import Finding, findings_frame, sort_findings
from sessioning.masking import mask_secrets, mask_text, mask_value, secrets_revealed
from sessioning.record import ActionEntry, Run
from sessioning.tables import mask_doc

RESPOND = "Requesting.respond"
REQUEST = "Requesting.request"

_MISSING_BINDING = re.compile(r"Missing binding: Symbol\((?P<name>[^)]*)\)")
_BINDING_NOT_FOUND = re.compile(r"Binding: Symbol\((?P<name>[^)]*)\) not found")
_E11000 = re.compile(
    r"E11000 duplicate key error collection: (?P<ns>\S+) index: (?P<index>\S+)(?: dup key: (?P<dup>\{[^{}]*\}))?",
)


# -- small helpers ----------------------------------------------------------------------------------
def strip_full_error(text: str) -> str:
    """Drop the ``, full error: {...}`` pymongo appends to its messages (a balanced ``{}`` block)."""
    marker = ", full error: {"
    out = []
    i = 0
    while True:
        j = text.find(marker, i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        k, depth = j + len(marker) - 1, 0
        while k < len(text):
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
                if depth == 0:
                    k += 1
                    break
            k += 1
        i = k


def _symbol(name: str) -> str:
    return f"Symbol({name})"


def _fmt(value: Any, key: str | None = None, reveal: bool = False) -> str:
    """A value as a student reads it, secrets masked."""
    if key is not None:
        value = mask_value(key, value, reveal)
    elif not reveal:
        value = mask_secrets(value, False)
    if isinstance(value, str):
        return repr(mask_text(value, reveal))
    return json.dumps(value, default=str, ensure_ascii=False) if isinstance(value, (dict, list)) else repr(value)


def _pattern_keys(pattern: dict | None) -> str:
    if not pattern:
        return "{}"
    parts = []
    for k, v in pattern.items():
        if isinstance(v, str) and v == _symbol(k):
            parts.append(k)
        elif isinstance(v, str) and v.startswith("Symbol("):
            parts.append(f"{k}: {v[7:-1]}")
        else:
            parts.append(f"{k}: {v!r}")
    return "{" + ", ".join(parts) + "}"


def _entry_text(w: dict) -> str:
    out = w.get("output")
    if out is None:
        return f"[{w.get('action')}, {_pattern_keys(w.get('input'))}]"
    return f"[{w.get('action')}, {_pattern_keys(w.get('input'))}, {_pattern_keys(out)}]"


def parse_dup_key(text: str | None) -> dict[str, Any]:
    """``{ email: "a@x" }`` (the server's ``dup key`` text) → ``{"email": "a@x"}``."""
    if not text:
        return {}
    body = text.strip()[1:-1].strip()
    out: dict[str, Any] = {}
    for m in re.finditer(r'(?P<k>[\w.$]+)\s*:\s*(?P<v>"(?:[^"\\]|\\.)*"|[^,}]+)', body):
        raw = m["v"].strip()
        try:
            value = json.loads(raw)
        except ValueError:
            oid = re.fullmatch(r"ObjectId\('([0-9a-f]{24})'\)", raw)
            if oid:
                from bson import ObjectId

                value = ObjectId(oid[1])
            else:
                value = raw
        out[m["k"]] = value
    return out


def explain_duplicate_key(message: str, db: Any = None, reveal: bool = False) -> dict[str, Any] | None:
    """Index, collection, colliding value and the document already holding it, for an E11000 message."""
    m = _E11000.search(message or "")
    if not m:
        return None
    ns = m["ns"]
    collection = _collection_of(ns, db)
    key = parse_dup_key(m["dup"])
    info: dict[str, Any] = {"namespace": ns, "collection": collection, "index": m["index"], "key": key, "existing": None}
    if db is not None and key:
        try:
            existing = db[collection].find_one(key)
        except Exception:  # noqa: BLE001 - a lookup must never break a diagnosis
            existing = None
        if existing is not None:
            info["existing"] = mask_doc(dict(existing), collection, reveal)
    return info


def _collection_of(namespace: str, db: Any = None) -> str:
    """``<db>.<Concept>.<coll>`` → ``<Concept>.<coll>`` (an injected fault's message has no db part)."""
    if db is not None:
        name = getattr(db, "name", None)
        if name and namespace.startswith(name + "."):
            return namespace[len(name) + 1:]
        try:
            if namespace in db.list_collection_names():
                return namespace
        except Exception:  # noqa: BLE001
            pass
    if namespace.count(".") == 1 and namespace[:1].isupper():
        return namespace
    return namespace.split(".", 1)[1] if "." in namespace else namespace


def _injected(db: Any, message: str) -> bool:
    faults = getattr(db, "faults", None) if db is not None else None
    rules = getattr(faults, "_rules", ()) if faults is not None else ()
    message = message or ""
    return ("(injected fault)" in message or "'injected': True" in message
            or any(logged and logged in message for rule in rules for logged in rule.log))


class _RunDiagnosis:
    """Reads a recorded run (and, when known, the engine's sync definitions) into findings."""

    def __init__(self, run: Any, engine: Any, db: Any, *, sessions_collection: str, session_create: str,
                 login_actions: Iterable[str], reveal: bool) -> None:
        self.run = run
        self.engine = engine
        self.db = db
        self.sessions_collection = sessions_collection
        self.session_create = session_create
        self.login_actions = tuple(login_actions)
        self.reveal = reveal
        self.defs = dict(getattr(engine, "syncs", {}) or {})
        self.findings: list[Finding] = []
        self._seen_then: dict[str, set[str]] = {}
        self._when: dict[str, list[dict]] = {}
        for ev in run.evaluations():
            if ev.then:
                self._seen_then.setdefault(ev.sync, set()).update(t.get("action") for t in ev.then)
            if ev.when and len(ev.when) >= len(self._when.get(ev.sync, ())):
                self._when[ev.sync] = ev.when
        self._f13_syncs: set[str] = set()

    # -- what a sync does -------------------------------------------------------------------------
    def then_labels(self, sync: str) -> set[str]:
        d = self.defs.get(sync)
        if d is not None:
            return {p.label for p in d.then}
        return set(self._seen_then.get(sync, ()))

    def when_labels(self, sync: str) -> list[str]:
        d = self.defs.get(sync)
        if d is not None:
            return [p.label for p in d.when]
        return [w.get("action") for w in self._when.get(sync, ())]

    def is_response_sync(self, sync: str) -> bool:
        labels = self.then_labels(sync)
        if labels:
            return RESPOND in labels
        when = self.when_labels(sync)
        return len(when) > 1 and REQUEST in when

    def add(self, code: str, severity: str, explanation: str, fix: str, *, sync: str | None = None,
            request: str | None = None, evidence: str | None = None, **extra: Any) -> None:
        explanation = strip_full_error(explanation)
        if not self.reveal:
            explanation, fix = mask_text(explanation, False), mask_text(fix, False)
            evidence = mask_text(evidence, False) if evidence else evidence
        self.findings.append(Finding(code, severity, explanation, fix, sync=sync, request=request, source="run",
                                     evidence=evidence, extra=extra))

    # -- the whole run ----------------------------------------------------------------------------
    def diagnose(self) -> list[Finding]:
        for log in list(self.run.flows.values()):
            try:
                self.flow(log)
            except Exception as e:  # noqa: BLE001 - one odd flow (a hand-edited run) must not hide the others
                self.add("INFO", "info", f"Flow {log.flow} could not be analysed ({type(e).__name__}: {e}).",
                         "Check that the run was recorded by the kit (or exported with `run.to_json()`).",
                         request=getattr(log, "request", None), flow=log.flow)
        return self.findings

    def flow(self, log: Any) -> None:
        request, path = log.request_id, log.path
        ctx = {"flow": log.flow, "request": request, "path": path}
        root_ev = self.error_root(log)
        if root_ev is not None:
            self.engine_error(log, root_ev, ctx)
        for a in log.actions:
            if a.status == "exception":
                self.action_exception(log, a, ctx)
            if a.called_from or isinstance(a.output, list):
                self.action_as_query(log, a, ctx)
        if log.outcome == "timed out":
            self.timed_out(log, ctx)
        self.double_respond(log, ctx)
        self.empty_checks(log, ctx)
        self.missing_insert(log, ctx, root_ev)

    @staticmethod
    def error_root(log: Any) -> Any:
        """The evaluation where an engine error was first raised (the deepest, i.e. the latest)."""
        errs = [ev for ev in log.evaluations if ev.error]
        return max(errs, key=lambda ev: ev.seq) if errs else None

    # -- engine errors: F1–F9 ---------------------------------------------------------------------
    def engine_error(self, log: Any, ev: Any, ctx: dict) -> None:
        kind = ev.error_type or ""
        message = ev.error or ""
        if kind == "MissingBinding" or _MISSING_BINDING.search(message):
            self.missing_binding(log, ev, ctx)
        elif kind == "BindingNotFound" or _BINDING_NOT_FOUND.search(message):
            self.binding_not_found(log, ev, ctx)
        elif kind in ("MissingActionId", "ActionMissing") or message.startswith("Missing actionId"):
            self.missing_action_id(log, ev, ctx)
        elif kind == "WhenMissingOutput" or "is missing output pattern" in message:
            self.when_missing_output(log, ev, ctx)
        elif kind == "NotIterable" or "not iterable" in message:
            self.not_iterable(log, ev, ctx)

    def _snapshot(self, ev: Any) -> list[dict]:
        where = ev.frames_where
        return list(where if where is not None else (ev.frames_when or []))

    def missing_binding(self, log: Any, ev: Any, ctx: dict) -> None:
        m = _MISSING_BINDING.search(ev.error or "")
        name = m["name"] if m else "?"
        info = self._explain_with_definitions(ev, name) or self._explain_from_record(ev, name)
        code = info["code"] if info["code"] in ("F1", "F2", "F3", "F6", "UNBOUND") else "F2"
        then_action = info.get("then_action")
        where = f" while resolving `{then_action}`" if then_action else ""
        self.add(
            code, "error",
            f"`{ev.sync}` threw `Missing binding: Symbol({name})`{where} (the client got 500): {info['explanation']}",
            info["fix"], sync=ev.sync, request=ctx["request"], evidence=ev.error,
            flow=ctx["flow"], variable=name, then_action=then_action, sources=info.get("sources"),
        )

    def _explain_with_definitions(self, ev: Any, name: str) -> dict | None:
        sync = self.defs.get(ev.sync)
        if sync is None:
            return None
        from sessioning.gen2025.engine.explain import explain_missing_binding
        from sessioning.gen2025.engine.vars import Var

        by_name = dict(sync.vars)
        for v in sync.action_vars:
            by_name[v.name] = v
        found = None
        for index, pattern in enumerate(sync.then):
            for key, value in pattern.input.items():
                if isinstance(value, Var) and value.name == name:
                    found = (index, pattern, key, value)
                    break
            if found:
                break
        if found is None:
            return None
        index, pattern, key, var = found
        frames = self._snapshot(ev)
        snap = next((f for f in frames if name not in f), frames[0] if frames else {})
        frame: dict = {}
        for k, v in snap.items():
            sk = re.fullmatch(r"'(.*)' \(string key\)", k)
            if sk:
                frame[sk[1]] = v
            elif k in by_name:
                frame[by_name[k]] = v
        frame.pop(var, None)
        info = explain_missing_binding(sync, index, pattern, key, var, frame, ev)
        info["then_action"] = pattern.label
        return info

    def _explain_from_record(self, ev: Any, name: str) -> dict:
        """Without the sync's definition (a loaded run): what the record shows."""
        sym = _symbol(name)
        frames = self._snapshot(ev)
        if any(f"'{name}' (string key)" in f for f in frames):
            return {
                "code": "F6",
                "explanation": f"the frames `where` returned carry `'{name}'` as a string key, but the engine reads only "
                               f"variable (symbol) keys, so `{name}` is unbound.",
                "fix": f"Use the variable as the key: `{{**frame, {name}: value}}` with `{name}` the sync's parameter "
                       f"(in TypeScript `[{name}]: value`).",
            }
        for step in ev.where or ():
            if step.get("step") == "query" and sym in (step.get("output") or {}).values():
                out_key = next(k for k, v in step["output"].items() if v == sym)
                rows = step.get("rows_sample") or []
                keys = sorted({k for r in rows if isinstance(r, dict) for k in r})
                err = next((r.get("error") for r in rows if isinstance(r, dict) and "error" in r), None)
                had = f" (they had {', '.join(keys)}" + (f": {_fmt(err, 'error', self.reveal)}" if err else "") + ")" if keys else ""
                if name == "error":
                    return {
                        "code": "F3",
                        "explanation": f"`error` is bound only on the failure path: on success `{step['name']}` returned rows "
                                       f"without `error`{had}, so passing `error` to the response fails.",
                        "fix": "Use two syncs: one responds with the result on success, one with `error` on failure.",
                    }
                return {
                    "code": "F2",
                    "explanation": f"`{step['name']}` returned rows without `{out_key}`{had}, and `frames.query` binds "
                                   f"`{name}` only for rows that have the key, so the frame was kept with `{name}` unbound.",
                    "fix": f"Drop frames without `{name}` before `then` (`.filter(lambda f: {name} in f)`), add an "
                           f"error-response sync, or make `{step['name']}` return `{out_key}`.",
                }
        if name == "error":
            return {
                "code": "F3",
                "explanation": "`error` is bound on one path only (or nowhere in this sync), so passing it fails whenever "
                               "that path was not taken.",
                "fix": "Respond with `error` from a separate sync whose `when` output pattern is `{error}`.",
            }
        in_when = any(sym in (w.get("input") or {}).values() or sym in (w.get("output") or {}).values() for w in ev.when or ())
        if in_when:
            return {
                "code": "F2",
                "explanation": f"`{name}` is bound in `when`, but this frame does not have it: `where` rebuilt or "
                               "filtered the frames without keeping it.",
                "fix": f"Keep `{name}` in the frames `where` returns (extend the frames it was given).",
            }
        return {
            "code": "F1",
            "explanation": f"nothing in `when` or `where` binds `{name}`; most likely it is the output of an earlier "
                           "`then` entry. A `then` output pattern binds nothing and every `then` input is resolved "
                           "before any action runs, so no action of this `then` ran (nothing was inserted).",
            "fix": f"Split the sync: one sync runs the action that makes `{name}`; a second sync whose `when` includes "
                   f"that action with output `{{{name}}}` uses it.",
        }

    def binding_not_found(self, log: Any, ev: Any, ctx: dict) -> None:
        m = _BINDING_NOT_FOUND.search(ev.error or "")
        name = m["name"] if m else "?"
        sym = _symbol(name)
        cause = f"no earlier step bound `{name}`"
        step_name = None
        for step in reversed(ev.where or []):
            if step.get("step") == "query" and sym in (step.get("output") or {}).values():
                rows = step.get("rows_sample") or []
                err = next((r.get("error") for r in rows if isinstance(r, dict) and "error" in r), None)
                step_name = step["name"]
                cause = (f"`{step_name}` returned rows without `{name}`"
                         + (f" ({{error: {_fmt(err, 'error', self.reveal)}}})" if err else "")
                         + f", so the frame was kept with `{name}` unbound")
                break
        self.add(
            "F4", "error",
            f"In the `where` of `{ev.sync}`, a `frames.query` needs `{name}` as input, but {cause}; the next query "
            f"threw `Binding: Symbol({name}) not found` (the client got 500).",
            f"Drop the frames without `{name}` before that query (`.filter(lambda f: {name} in f)`) and answer them "
            f"from an error sync that queries `{{error}}`.",
            sync=ev.sync, request=ctx["request"], evidence=ev.error, flow=ctx["flow"], variable=name, step=step_name,
        )

    def missing_action_id(self, log: Any, ev: Any, ctx: dict) -> None:
        frames = ev.frames_where or []
        keys = sorted({k for f in frames for k in f if not k.startswith("action_") and k != "flow"})
        n = len(ev.when or [])
        self.add(
            "F5", "error",
            f"`where` of `{ev.sync}` returned frames without the hidden action ids of its {n} `when` record(s)"
            + (f" (they hold only {', '.join(keys)})" if keys else "")
            + ": frames built from scratch instead of extended from the frames it was given, so `then` threw "
              "`Missing actionId in `then` clause.`",
            "Build each returned frame from an original one: `{**frame, x: value}` (TypeScript `{...frame, [x]: value}`).",
            sync=ev.sync, request=ctx["request"], evidence=ev.error, flow=ctx["flow"],
        )

    def when_missing_output(self, log: Any, ev: Any, ctx: dict) -> None:
        from sessioning.gen2025.engine.actions import MISSING

        index = len(ev.when or [])
        label = None
        d = self.defs.get(ev.sync)
        if d is not None:
            missing = [i for i, p in enumerate(d.when) if p.output is MISSING]
            if missing:
                index = missing[0] if index not in missing else index
                label = d.when[index].label
        if label is None and index < len(self._when.get(ev.sync, ())):
            label = self._when[ev.sync][index].get("action")  # recorded by another evaluation of this sync
        what = f"`when` entry {index}" + (f" (`{label}`)" if label else "")
        self.add(
            "F8", "error",
            f"{what} of `{ev.sync}` has no output pattern. The engine notices only at run time, when a matching "
            f"record appears (here after `{ev.trigger_action}` completed), and throws "
            "`When pattern: [object Object] is missing output pattern.`",
            f"Write it as `[{label or 'Action'}, {{...}}, {{}}]` (an empty output matches every completion) or name the "
            "output keys you need.",
            sync=ev.sync, request=ctx["request"], evidence=ev.error, flow=ctx["flow"], pattern=index, action=label,
        )

    def not_iterable(self, log: Any, ev: Any, ctx: dict) -> None:
        message = ev.error or ""
        if message.startswith("functionOutputArray"):
            why = "a query in its `where` returned a single object or null, not a list of rows"
            fix = "Return a list from the query: `[{...}]` for one row, `[]` for none."
        else:
            why = "its `where` returned nothing (a forgotten `return`) or not a list of frames"
            fix = "End `where` with `return frames`."
        self.add("F9", "error", f"`{ev.sync}` threw `{message}`: {why}.", fix, sync=ev.sync,
                 request=ctx["request"], evidence=message, flow=ctx["flow"])

    # -- F16 ---------------------------------------------------------------------------------------
    def action_exception(self, log: Any, a: ActionEntry, ctx: dict) -> None:
        label = a.label
        message = a.error or ""
        by = f" (run by `{a.sync}`)" if a.sync else ""
        tail = (" An exception aborts the cascade: later syncs for the same action, including an error "
                "response, never run" + (", and the client got 500." if ctx["request"] else "."))
        injected = " (This failure was injected on purpose with `db.faults`.)" if _injected(self.db, message) else ""
        dup = explain_duplicate_key(message, self.db, self.reveal)
        extra: dict[str, Any] = {"flow": ctx["flow"], "action": label, "seq": a.seq}
        if dup:
            key_text = ", ".join(f"{k}: {json.dumps(mask_value(k, v, self.reveal), default=str, ensure_ascii=False)}"
                                 for k, v in dup["key"].items()) or "?"
            holder = (f" It is already held by {json.dumps(dup['existing'], default=str)}."
                      if dup["existing"] is not None else " (The document holding it is no longer there.)")
            explanation = (f"`{label}`{by} threw E11000: the unique index `{dup['index']}` of `{dup['collection']}` "
                           f"already has {{ {key_text} }}.{holder}{tail}{injected}")
            if dup["index"] == "_id_":
                fix = (f"`{label}` inserts with an `_id` that already exists: use a fresh id (`freshID()`), or an "
                       "upsert (`update_one(..., upsert=True)`) if updating was meant; catch `DuplicateKeyError` and "
                       "return `{error: ...}` like the seed's `Sessioning.create`.")
            else:
                fields = ", ".join(dup["key"]) or "the key"
                fix = (f"Check for an existing document with the same {fields} before inserting and return "
                       f"`{{error: ...}}`, and catch `DuplicateKeyError` in `{label}` (two requests can still race).")
            extra.update(index=dup["index"], collection=dup["collection"], key=dup["key"], existing=dup["existing"])
        else:
            explanation = f"`{label}`{by} threw `{a.error_type or 'an exception'}: {message}` instead of returning `{{error}}`.{tail}{injected}"
            fix = (f"Catch the exception inside `{label}` and return `{{error: \"...\"}}`, so an error sync can answer "
                   "the client.")
        self.add("F16", "error", explanation, fix, sync=a.sync, request=ctx["request"], evidence=message, **extra)

    # -- F14 ---------------------------------------------------------------------------------------
    def action_as_query(self, log: Any, a: ActionEntry, ctx: dict) -> None:
        label = a.label
        where_sync = a.called_from
        request = ctx["request"]
        if where_sync:
            origin = self._calling_evaluation(where_sync, a.seq or 0)
            if origin is not None:
                request = self.run.flows[origin.flow].request_id if origin.flow in self.run.flows else request
            how = f"was called from the `where` of `{where_sync}`"
        else:
            how = "returned a list (it was used as a query)"
        self.add(
            "F14", "warning",
            f"The action `{label}` {how}. An action (a method without `_`) is instrumented: called there it runs in a "
            "new flow, so its effects and the syncs it triggers never join the request's flow"
            + (f" (its output: {_fmt(a.output, reveal=self.reveal)})" if isinstance(a.output, list) else "")
            + ".",
            f"Make it a query (`_{a.action}` returning a list) and call it with `frames.query`, or call `{label}` "
            "from a `then` instead of from `where`.",
            sync=where_sync or a.sync, request=request, flow=log.flow, action=label,
        )

    def _calling_evaluation(self, sync: str, seq: int) -> Any:
        best = None
        for ev in self.run.evaluations():
            if ev.sync == sync and ev.seq < seq and (best is None or ev.seq > best.seq):
                best = ev
        return best

    # -- F10 / F11 ---------------------------------------------------------------------------------
    def timed_out(self, log: Any, ctx: dict) -> None:
        root = log.root if log.root is not None and log.root.is_request else None
        on_request = [ev for ev in log.evaluations if root is not None and ev.trigger == root.id]
        fired_on_request = [ev for ev in on_request if ev.fired]
        ran = [a for a in log.actions if a is not root]
        if not fired_on_request and not ran:
            emptied = [ev for ev in on_request if ev.matched and ev.emptied_by() is not None]
            if emptied:
                self.where_emptied(emptied[0], ctx, emptied[1:])
            else:
                self.request_not_matched(log, root, on_request, ctx)
            return
        self.response_not_matched(log, ctx)

    def request_not_matched(self, log: Any, root: ActionEntry | None, evs: list, ctx: dict) -> None:
        path = ctx["path"]
        body = dict(root.input or {}) if root is not None else {}
        keys = ", ".join(k for k in body if k != "path") or "nothing"
        if not evs:
            self.add(
                "F10", "error",
                f"No sync has `Requesting.request` in its `when`, so nothing handled '{path}' and nothing responded "
                "(504 after the timeout).",
                "Register the sync file (only files named `*.sync.ts` are picked up; re-run `deno run build`), or "
                "write a sync for this path. Raising REQUESTING_TIMEOUT will not help.",
                request=ctx["request"], evidence=f"path {path!r}, body keys: {keys}", flow=ctx["flow"],
            )
            return

        def score(ev: Any) -> float:
            f = ev.first_failure() or {}
            if f.get("pattern", 0) != 0:
                return 0.5  # the request pattern matched; a later pattern (a response sync) did not
            if f.get("reason") == "absent":
                return 3.0
            if f.get("reason") == "literal_mismatch" and f.get("key") == "path":
                exp, act = str(f.get("expected")), str(f.get("actual"))
                return 1.0 + difflib.SequenceMatcher(None, exp.lower().strip("/"), act.lower().strip("/")).ratio()
            return 1.5

        request_syncs = [ev for ev in evs if not self.is_response_sync(ev.sync)] or evs
        best = max(request_syncs, key=score)
        f = best.first_failure() or {}
        others = [f"{ev.sync}: {(ev.first_failure() or {}).get('text')}" for ev in request_syncs if ev is not best][:6]
        if f.get("reason") == "absent":
            fix = (f"Send `{f.get('key')}` from the client (the body has: {keys}), or drop `{f.get('key')}` from the "
                   f"`when` pattern of `{best.sync}` if it is optional: a missing key means no match, not an error. "
                   "Raising REQUESTING_TIMEOUT will not help.")
        elif f.get("key") == "path":
            fix = (f"Make the path literal in `{best.sync}` exactly what the engine sees ({path!r} here): same case, no "
                   "trailing slash, never the `/api` prefix. Raising REQUESTING_TIMEOUT will not help.")
        else:
            fix = f"Make the `when` pattern of `{best.sync}` agree with the request body. Raising REQUESTING_TIMEOUT will not help."
        closest = f"Closest: `{best.sync}` — {f.get('text') or 'its pattern did not match'}."
        if score(best) < 1.6 and f.get("key") == "path":  # nothing resembles this path
            known = sorted({str((ev.first_failure() or {}).get("expected")) for ev in evs
                            if (ev.first_failure() or {}).get("key") == "path"})
            closest = (f"No sync handles this path at all (the syncs expect {', '.join(map(repr, known))}); a passthrough "
                       f"route or an unregistered sync file (F21) are the usual reasons. {closest}")
            fix = (f"Write a request sync for {path!r}, or register the sync file that has it (only `*.sync.ts` files "
                   "are picked up; re-run `deno run build`). Raising REQUESTING_TIMEOUT will not help.")
        self.add(
            "F10", "error",
            f"No request sync matched '{path}', so nothing ran and nothing responded (504 after the timeout). "
            f"{closest}",
            fix, sync=best.sync, request=ctx["request"], evidence="; ".join(others) or None, flow=ctx["flow"],
            key=f.get("key"), reason=f.get("reason"), expected=f.get("expected"), actual=f.get("actual"),
        )

    def where_emptied(self, ev: Any, ctx: dict, others: list | None = None) -> None:
        step = ev.emptied_by() or {}
        steps = ev.where or []
        i = steps.index(step) if step in steps else -1
        prev = steps[i - 1] if i > 0 else None
        detail = f"`{step.get('step')} {step.get('name')}` took the frames from {step.get('frames_in')} to 0"
        if step.get("step") == "query":
            rows = step.get("rows_sample") or []
            detail += " (the query returned no rows" + (f": {_fmt(rows, reveal=self.reveal)}" if rows else "") + ")"
        elif prev is not None and prev.get("step") == "query" and any((prev.get("unbound") or {}).values()):
            rows = prev.get("rows_sample") or []
            unbound = ", ".join(k for k, v in (prev.get("unbound") or {}).items() if v)
            detail += (f", after `{prev['name']}` left `{unbound}` unbound"
                       + (f" (it returned {_fmt(rows, reveal=self.reveal)})" if rows else ""))
        self.add(
            "F11", "error",
            f"`{ev.sync}` matched its `when`, but its `where` emptied the frames: {detail}. With no frame left it "
            "does not fire, nothing responded, and the request timed out (504).",
            f"Answer the case `where` filters out: add a sync for it (e.g. an error response when `{step.get('name')}` "
            "finds nothing), or fix the query/filter so the expected frames survive.",
            sync=ev.sync, request=ctx["request"], flow=ctx["flow"], step=f"{step.get('step')} {step.get('name')}",
            evidence="; ".join(_where_summary(e) for e in [ev, *(others or [])]),
        )

    def response_not_matched(self, log: Any, ctx: dict) -> None:
        path = ctx["path"]
        ran = {a.label: a for a in log.actions}
        last = next((a for a in reversed(log.actions) if not a.is_request), None)
        candidates = []
        for ev in log.evaluations:
            if ev.fired or ev.error or not self.is_response_sync(ev.sync):
                continue
            first = (ev.when or [{}])[0]
            want_path = (first.get("input") or {}).get("path")
            if first.get("action") == REQUEST and isinstance(want_path, str) and not want_path.startswith("Symbol(") \
                    and want_path != path:
                continue
            candidates.append(ev)
        emptied = [ev for ev in candidates if ev.matched and ev.emptied_by() is not None]
        if emptied:
            self.where_emptied(emptied[0], ctx, emptied[1:])
            return

        def score(ev: Any) -> int:
            f = ev.first_failure() or {}
            pat = next((w for w in ev.when or [] if w.get("pattern") == f.get("pattern")), {})
            if f.get("reason") == "synced":
                return 0
            if f.get("reason") == "output_absent" and f.get("key") == "error" and set(pat.get("output") or {}) == {"error"}:
                return 0  # an error sync not matching a success: as it should be
            if f.get("reason") in ("output_absent", "bound_mismatch", "literal_mismatch", "absent") and f.get("action") in ran:
                return 3
            return 2 if f.get("reason") == "no_record" else 1

        did = (f"`{last.label}` ran (it returned {_fmt(last.output, reveal=self.reveal)})"
               if last else "the request ran")
        if not candidates:
            self.add(
                "F11", "error",
                f"{did}, but no sync responds to '{path}' after it, so the request timed out (504).",
                f"Add a response sync: when `[Requesting.request, {{path: '{path}'}}, {{request}}]` and the action's "
                "output, then `Requesting.respond`.",
                request=ctx["request"], flow=ctx["flow"],
            )
            return
        best = max(candidates, key=score)
        f = best.first_failure() or {}
        pat = next((w for w in best.when or [] if w.get("pattern") == f.get("pattern")), {})
        out = pat.get("output") or {}
        note = ""
        if f.get("reason") == "output_absent" and "error" in out and len(out) > 1:
            note = (" An output pattern with both a success key and `error` never matches: actions return one or "
                    "the other.")
        elif f.get("reason") == "no_record":
            elsewhere = [a for fl in self.run.flows.values() if fl is not log for a in fl.actions
                         if a.label == f.get("action") and a.called_from]
            if elsewhere:
                note = f" `{f.get('action')}` ran in another flow (called from a `where`: F14), so this flow never sees it."
            else:
                note = (f" `{f.get('action')}` never ran in this flow: the sync that should call it did not fire"
                        " (see the other findings for this request).")
        failed = ran.get(f.get("action"))
        failed_output = failed.output if failed is not None else None
        if note.startswith(" An output pattern"):
            fix = (f"Split `{best.sync}` into a success sync `{{{', '.join(k for k in out if k != 'error')}}}` and an "
                   "error sync `{error}`.")
        elif f.get("reason") == "output_absent" and isinstance(failed_output, dict) and "error" in failed_output:
            fix = (f"`{f.get('action')}` returned `{{error}}` and no sync answers that: add one — when "
                   f"`[Requesting.request, {{path: '{path}'}}, {{request}}]` and `[{f.get('action')}, {{}}, {{error}}]`, "
                   "then `Requesting.respond {request, error}`.")
        elif f.get("reason") == "no_record":
            fix = (f"Make `{f.get('action')}` run in this flow: fix the sync whose `then` calls it (it must be "
                   f"triggered by an action of this request's flow), or drop it from the `when` of `{best.sync}`.")
        else:
            fix = (f"Make the output pattern of `{f.get('action')}` in `{best.sync}` name a key that action really "
                   "returns (or `{}` if it returns nothing).")
        self.add(
            "F11", "error",
            f"{did}, but the response sync `{best.sync}` never matched: its `when` entry {f.get('pattern')} "
            f"`{_entry_text(pat)}` failed — {f.get('text') or f.get('reason')}.{note} Nothing responded, so the "
            "request timed out (504).",
            fix,
            sync=best.sync, request=ctx["request"], flow=ctx["flow"], key=f.get("key"), reason=f.get("reason"),
            evidence="; ".join(f"{ev.sync}: {(ev.first_failure() or {}).get('text')}" for ev in candidates if ev is not best)[:600] or None,
        )

    # -- F12 ---------------------------------------------------------------------------------------
    def double_respond(self, log: Any, ctx: dict) -> None:
        by_request: dict[Any, list[ActionEntry]] = {}
        for a in log.actions:
            if a.is_respond and a.status != "exception":
                req = (a.input or {}).get("request")
                by_request.setdefault(req, []).append(a)
        for req, responds in by_request.items():
            if len(responds) < 2:
                continue
            syncs = [r.sync for r in responds]
            bodies = [{k: v for k, v in (r.input or {}).items() if k != "request"} for r in responds]
            empty = None
            for ev in log.evaluations:
                if ev.sync in syncs and ev.fired:
                    for w in ev.when or []:
                        if w.get("output") == {} and w.get("action") != REQUEST:
                            empty = (ev.sync, w)
                            break
                if empty:
                    break
            got = ", ".join(f"`{s}` → {_fmt(b, reveal=self.reveal)}" for s, b in zip(syncs, bodies))
            if empty:
                trig = next((a for a in log.actions if a.label == empty[1]["action"]), None)
                out = _fmt(trig.output, reveal=self.reveal) if trig else "an error"
                cause = (f"`{empty[0]}` waits for `{_entry_text(empty[1])}`: an empty output pattern matches every "
                         f"completion, including {out}, so it answered beside the error sync.")
                fix = (f"Match success in `{empty[0]}` on a key only the success returns (make "
                       f"`{empty[1]['action']}` return e.g. the deleted id), or drop error frames in its `where`; "
                       "exactly one sync should respond per outcome.")
            elif len(set(syncs)) == 1:
                cause = f"`{syncs[0]}` fired once per frame, and its `where` left {len(responds)} frames."
                fix = f"Make the `where` of `{syncs[0]}` leave one frame per request (collect rows with `collectAs`)."
            else:
                cause = "two syncs whose patterns overlap both matched the same outcome."
                fix = "Make the response syncs' patterns exclusive (one for success, one for `{error}`)."
            self.add(
                "F12", "error",
                f"Request {req} was answered {len(responds)} times ({got}). {cause} The client gets the first answer, "
                "the database keeps the last.",
                fix, sync=empty[0] if empty else syncs[0], request=req, flow=log.flow, syncs=syncs,
            )

    # -- F13 ---------------------------------------------------------------------------------------
    def empty_checks(self, log: Any, ctx: dict) -> None:
        for ev in log.evaluations:
            if ev.sync in self._f13_syncs or not ev.where:
                continue
            for step in ev.where:
                if step.get("step") != "query":
                    continue
                rows = step.get("rows_sample") or []
                err = next((r.get("error") for r in rows if isinstance(r, dict) and "error" in r), None)
                if step.get("output") == {}:
                    self._f13_syncs.add(ev.sync)
                    fired = ev.fired and err is not None
                    self.add(
                        "F13", "error" if fired else "warning",
                        f"The auth check `frames.query({step['name']}, {_pattern_keys(step.get('input'))}, {{}})` in "
                        f"`{ev.sync}` has an empty output pattern: it keeps one frame per row, including an error row, "
                        "so it checks nothing"
                        + (f" — here {step['name']} returned {{error: {_fmt(err, 'error', self.reveal)}}} and the sync "
                           "still fired." if fired else "."),
                        "Bind the result (`{user}`) and drop frames without it (`.filter(lambda f: user in f)`), with "
                        "a separate sync answering `{error}`.",
                        sync=ev.sync, request=ctx["request"], flow=log.flow, step=step["name"],
                    )
                    break
                unbound = [k for k, v in (step.get("unbound") or {}).items() if v]
                if ev.fired and not ev.error and err is not None and unbound and ev.where is not None:
                    survivors = [f for f in ev.frames_where or [] if any(k not in f for k in unbound)]
                    if survivors:
                        self._f13_syncs.add(ev.sync)
                        var = unbound[0]
                        self.add(
                            "F13", "error",
                            f"`{ev.sync}` fired although `{step['name']}` returned {{error: {_fmt(err, 'error', self.reveal)}}}: "
                            f"`{var}` stayed unbound and nothing after it requires `{var}`, so the check filters nothing "
                            "(an invalid session still gets through).",
                            f"Drop the failed rows right after the query: `.filter(lambda f: {var} in f)`, and answer them "
                            "from an error sync.",
                            sync=ev.sync, request=ctx["request"], flow=log.flow, step=step["name"], variable=var,
                        )
                        break

    # -- F17 ---------------------------------------------------------------------------------------
    def missing_insert(self, log: Any, ctx: dict, root_ev: Any) -> None:
        logged_in = [a for a in log.actions if a.action in self.login_actions and a.status == "ok"
                     and isinstance(a.output, dict) and "user" in a.output]
        if not logged_in:
            return
        inserted = [w for a in log.actions for w in a.writes or ()
                    if w.get("op") == "insert" and w.get("collection") == self.sessions_collection]
        if inserted:
            return
        login = logged_in[0]
        login_label = login.label
        create = self.session_create
        creates = [a for a in log.actions if a.label == create]
        coll = self.sessions_collection
        head = f"`{login_label}` succeeded but nothing was inserted into `{coll}`: "
        creators = [s for s in (self.defs or self._seen_then) if create in self.then_labels(s)]
        sync = creators[0] if creators else None
        if creates:
            c = creates[0]
            sync = c.get("sync") or sync
            other = [w for w in c.get("writes") or () if w.get("op") == "insert"]
            if c.get("status") == "exception":
                why = f"`{create}` ran but threw `{c.get('error')}` (see F16)."
                fix = f"Catch the error in `{create}` and return `{{error}}`; fix the cause of the exception."
            elif c.get("status") == "error":
                err = (c.get("output") or {}).get("error")
                why = (f"`{create}` ran but returned {{error: {_fmt(err, 'error', self.reveal)}}}, so no document was "
                       "written." + (" (This failure was injected with `db.faults`.)" if _injected(self.db, str(err)) else ""))
                fix = f"Fix what made `{create}` fail (the error above), and answer the client from an error sync."
            elif other:
                where = ", ".join(sorted({w.get("collection") for w in other}))
                why = f"`{create}` inserted into `{where}` instead — a different collection name from the one inspected."
                fix = f"Read `{where}` (pass `collection='{other[0].get('collection')}'`), or make the concept use `{coll}`."
            else:
                why = f"`{create}` ran and returned {_fmt(c.get('output'), reveal=self.reveal)} without inserting anything."
                fix = f"Make `{create}` insert the session document before it returns the id."
        elif root_ev is not None and (root_ev.error_type in ("MissingBinding", "BindingNotFound", "MissingActionId")
                                      or _MISSING_BINDING.search(root_ev.error or "")):
            sync = root_ev.sync
            calls_create = create in self.then_labels(root_ev.sync)
            why = (f"`{create}` never ran: `{root_ev.sync}` threw `{root_ev.error}` while resolving its `then` inputs"
                   + (f", before `{create}` (in the same `then`) could run" if calls_create else "")
                   + " — every `then` input is resolved before any action runs. Restarting the server will not help.")
            fix = (f"Split `{root_ev.sync}`: one sync calls `{create}`, a second sync whose `when` includes "
                   f"`[{create}, {{}}, {{session}}]` responds." if calls_create else
                   f"Fix the error in `{root_ev.sync}` (see its finding).")
        elif root_ev is not None:
            sync = root_ev.sync
            why = f"`{create}` never ran: the cascade stopped when `{root_ev.sync}` threw `{root_ev.error}`."
            fix = f"Fix the error in `{root_ev.sync}` (see its finding)."
        elif not creators:
            why = f"`{create}` never ran: no registered sync has `{create}` in its `then`."
            fix = (f"Add a sync: when `[{login_label}, {{}}, {{user}}]` then `[{create}, {{user}}]` (and check the sync "
                   "file is registered).")
        else:
            evs = [ev for ev in log.evaluations if ev.sync in creators]
            if not evs:
                why = (f"`{create}` never ran: `{creators[0]}` (which calls it) was never tried in this flow — its `when` "
                       f"does not include `{login_label}`.")
                fix = f"Put `[{login_label}, {{}}, {{user}}]` in the `when` of `{creators[0]}`."
            else:
                ev = next((e for e in evs if not e.matched), evs[0])
                sync = ev.sync
                if not ev.matched:
                    f = ev.first_failure() or {}
                    why = f"`{create}` never ran: `{ev.sync}` did not match — {f.get('text') or f.get('reason')}."
                    fix = f"Make the `when` of `{ev.sync}` match what `{login_label}` returns (e.g. `{{user}}`)."
                elif ev.emptied_by() is not None:
                    step = ev.emptied_by()
                    why = f"`{create}` never ran: the `where` of `{ev.sync}` emptied the frames at `{step['step']} {step['name']}`."
                    fix = f"Fix the `where` of `{ev.sync}` so the logged-in user's frame survives."
                else:
                    why = f"`{create}` never ran although `{ev.sync}` matched."
                    fix = f"Check the `then` of `{ev.sync}`."
        self.add("F17", "error", head + why, fix, sync=sync, request=ctx["request"], flow=log.flow, collection=coll)


def _where_summary(ev: Any) -> str:
    steps = " → ".join(f"{s.get('step')} {s.get('name')} {s.get('frames_in')}→{s.get('frames_out')}" for s in ev.where or [])
    return f"{ev.sync}: {steps}"


# -- public API ------------------------------------------------------------------------------------
def diagnose_findings(run: Any = None, db: Any = None, *, env: str | None = None,
                      sessions_collection: str = "Sessioning.sessions", user_field: str = "user",
                      users_collection: str | None = "UserAuthentication.users",
                      requests_collection: str = "Requesting.requests", session_create: str = "Sessioning.create",
                      login_actions: Iterable[str] = ("login", "authenticate"), reveal: bool | None = None,
                      progress: bool | None = None) -> list[Finding]:
    """The findings of a run (a Run, an Engine or an App), a database (a handle or a URI), or both.

    ``env`` is the path of an app's ``.env`` (MONGODB_URL / DB_NAME): its database is read, read-only.
    An App brings its own database. Database findings about requests the run already explains are
    left out.
    """
    reveal = secrets_revealed() if reveal is None else bool(reveal)
    findings: list[Finding] = []
    run_obj, engine, run_db = (None, None, None) if run is None else Run.source(run)
    known_requests: set[str] = set()
    if run_obj is not None:
        lookup_db = db if db is not None and not isinstance(db, str) else run_db
        diag = _RunDiagnosis(run_obj, engine, lookup_db, sessions_collection=sessions_collection,
                             session_create=session_create, login_actions=login_actions, reveal=reveal)
        findings.extend(diag.diagnose())
        known_requests = {f.request for f in run_obj.flows.values() if f.request}
    database = db if db is not None else run_db
    if database is not None or env is not None:
        from sessioning.gen2025.readers.database import diagnose_database

        kwargs = dict(sessions_collection=sessions_collection, user_field=user_field, users_collection=users_collection,
                      requests_collection=requests_collection, skip_requests=known_requests, reveal=reveal,
                      progress=progress)
        if isinstance(database, str):
            findings.extend(diagnose_database(database, env_file=env, **kwargs))
        elif database is not None:
            findings.extend(diagnose_database(db=database, **kwargs))
        else:
            findings.extend(diagnose_database(env_file=env, **kwargs))
    return findings


def diagnose(run: Any = None, db: Any = None, *, env: str | None = None, **options: Any) -> pd.DataFrame:
    """Findings as a DataFrame: ``code``, ``severity``, ``title``, ``sync``, ``request``, ``explanation``,
    ``fix``, ``source``, ``file``, ``line``, ``evidence``, ``details`` (structured facts: flow, key,
    index, value, existing document …). Errors first, then by code. See :func:`diagnose_findings`."""
    ordered = sort_findings(diagnose_findings(run, db, env=env, **options))
    df = findings_frame(ordered)  # the same sort again: same order, so `details` lines up
    df["details"] = [f.extra for f in ordered]
    return df


__all__ = ["diagnose", "diagnose_findings", "explain_duplicate_key", "parse_dup_key"]
