"""Data: the failure modes of the 2025 course template (F1 … F21, see ``failure-modes.md``) and the
kit's own checks (UNBOUND, API-PREFIX, PARSE, INFO), with every wording the kit prints.

Pure data, read only through :mod:`sessioning.failure_modes`. Templates are ``str.format``
strings: a literal brace is doubled (``{{error}}`` prints ``{error}``). Variant names say who
prints the text: ``engine`` (the error raised while a sync runs), ``run…`` (the diagnosis of a
recorded run), ``log…`` (the server-log reader), ``syncs…`` (the sync-file checks), ``db…``
(the database checks).
"""

from .catalogue_apps import (
    APP_F2_FACTS,
    APP_F2_VARIANTS,
    APP_F4_FACTS,
    APP_F4_VARIANTS,
    APP_F9_FACTS,
    APP_F9_VARIANTS,
    APP_F12_FACTS,
    APP_F12_VARIANTS,
    APP_F13_FACTS,
    APP_F13_VARIANTS,
    APP_F15_FACTS,
    APP_F15_VARIANTS,
    APP_F16_FACTS,
    APP_F16_VARIANTS,
    APP_UNBOUND_FACTS,
    APP_UNBOUND_VARIANTS,
)
from .catalogue_apps import LATER_MODES as APP_LATER_MODES
from .catalogue_apps import NEW_MODES as APP_NEW_MODES

# Shared sentences (several wordings end the same way).
_SPLIT_FIX = ("Split it: one sync creates the session when login succeeds; a second sync, whose `when` "
              "includes `[Sessioning.create, {{}}, {{session}}]`, responds.")
_NO_RAISE = " Raising REQUESTING_TIMEOUT does not help: the timeout only fires when nothing responded."
_NO_RAISE_RUN = " Raising REQUESTING_TIMEOUT will not help."
_F6_FIX = ("Use the variable as the key: `{{**frame, {name}: value}}` with `{name}` the sync's parameter "
           "(in TypeScript `[{name}]: value`).")
_F2_KEEP_FIX = "Keep `{name}` in the frames `where` returns (extend the frames it was given)."
_F2_ROWS = ("`{step}` returned rows without `{out_key}`{had}, and `frames.query` binds `{name}` only for rows "
            "that have the key, so the frame was kept with `{name}` unbound.")
_F3_SEPARATE_FIX = "Respond with `error` from a separate sync whose `when` output pattern is `{{error}}`."
_F8_FIX = ("Write it as `[{action}, {{...}}, {{}}]` (an empty output matches every completion) "
           "or name the output keys you need.")
_F7_CRASH = "The server crashed at startup{loc}: `{msg}` — "
_F10_NOT_MATCHED = ("No request sync matched '{path}', so nothing ran and nothing responded (504 after the timeout). "
                    "{closest}")
_F11_RESPONSE = ("{did}, but the response sync `{sync}` never matched: its `when` entry {entry} `{pattern}` "
                 "failed — {text}.{note} Nothing responded, so the request timed out (504).")
_F12_RUN = "Request {request} was answered {n} times ({got}). "
_F12_RUN_END = " The client gets the first answer, the database keeps the last."
_F13_RUN_EMPTY = ("The auth check `frames.query({step}, {input}, {{}})` in `{sync}` has an empty output pattern: it "
                  "keeps one frame per row, including an error row, so it checks nothing")
_F13_RUN_EMPTY_FIX = ("Bind the result (`{{user}}`) and drop frames without it (`.filter(lambda f: user in f)`), with "
                      "a separate sync answering `{{error}}`.")
_F14_RUN = ("The action `{action}` {how}. An action (a method without `_`) is instrumented: called there it runs in "
            "a new flow, so its effects and the syncs it triggers never join the request's flow{output}.")
_F14_RUN_FIX = ("Make it a query (`_{method}` returning a list) and call it with `frames.query`, or call `{action}` "
                "from a `then` instead of from `where`.")
_F16_TAIL = " An exception aborts the cascade: later syncs for the same action, including an error response, never run"
_F17_HEAD = "`{login}` succeeded but nothing was inserted into `{collection}`: "
_F17_ORPHANS = "{n} of {total} sessions in `{collection}` point to users that do not exist: "
_F19_FIX = ("Make main.ts import `@concepts` (which uses DB_NAME), and look for your data in the database the "
            "server really uses.")
_REQUEST = "{where}: "  # the log reader's "Request `/path` (n times)" prefix

#: Wordings any mode can be explained with (a log error the reader has no special text for).
GENERIC = {
    "log-other": {"why": "{where}: `{msg}`.", "fix": "See the error message."},
}

#: Fragments that several texts share, or that a producer adds only when a fact is known.
PHRASES = {
    # the run diagnosis' head for every `Missing binding` finding (F1, F2, F3, F6, UNBOUND)
    "run.missing-binding": "`{sync}` threw `Missing binding: Symbol({name})`{resolving} (the client got 500): {why}",
    "run.while-resolving": " while resolving `{action}`",
    "rows.had": " (they had {keys}{error})",
    "rows.error": ": {error}",
    "F4.cause-none": "no earlier step bound `{name}`",
    "F4.cause-rows": "`{step}` returned rows without `{name}`{error}, so the frame was kept with `{name}` unbound",
    "F4.error": " ({{error: {error}}})",
    "F4.bound-nothing": "nothing",
    "F5.holding": " (they hold only {keys})",
    "F7.loc": " in sync `{sync}` ({file})",
    "F8.entry": "`when` entry {index}",
    "F8.entry-label": "`when` entry {index} (`{label}`)",
    "F10.closest": "Closest: `{sync}` — {text}.",
    "F10.no-text": "its pattern did not match",
    "F10.no-path-sync": ("No sync handles this path at all (the syncs expect {known}); a passthrough route or an "
                         "unregistered sync file (F21) are the usual reasons. {closest}"),
    "F10.log-empty-body": " (empty body)",
    "F10.log-body-keys": " (body keys: {keys})",
    "F10.log-api-twice": (". The path received was `{path}`: the client called `/api{path}`, so the `/api` base is "
                          "in the URL twice"),
    "F10.log-unmatched": " VERBOSE shows no ``Matched `sync` `` line for its flow.",
    "F10.log-no-trace": (" (This log has no TRACE lines, so it cannot show whether a later response sync failed "
                         "instead, F11.)"),
    "F10.log-nothing-ran": " After `Requesting.request` nothing ran.",
    "F10.hint-api-never": " (the request path never includes the /api prefix)",
    "F10.hint-api-drop": " (drop the /api prefix: the engine sees the path after the base URL)",
    "F10.hint-case": " (case differs)",
    "F10.hint-slash": " (trailing slash differs)",
    "F10.correlate-api": "`{sync}` ({file}:{line}) matches `/api{path}`: Requesting strips `/api`, so drop the prefix.",
    "F10.correlate-near": "`{sync}` ({file}:{line}) matches `{near}`: case and trailing slashes must match exactly.",
    "F10.correlate-unregistered": ("`{sync}` matches it but sits in `{file}`, which is not named `*.sync.ts`, so it "
                                   "is never registered (F21)."),
    "F10.correlate-none": "No sync in your sync files matches `path: \"{path}\"`: add a request sync for it.",
    "F10.correlate-missing-keys": ("`{sync}` ({file}:{line}) also needs {keys}, which the request did not send — a "
                                   "missing key means no match, not an error."),
    "F10.correlate-where": ("`{sync}` ({file}:{line}) matches the path and keys, so its `where` removed every frame "
                            "(e.g. `_getUser` found no user for this session) and nothing ran."),
    "correlate.located": "In your sync files this is `{sync}` ({file}:{line}).",
    "correlate.syncs": "Syncs for `{path}`: {syncs}.",
    "F11.emptied": "`{step}` took the frames from {frames_in} to 0",
    "F11.no-rows": " (the query returned no rows{rows})",
    "F11.after-unbound": ", after `{step}` left `{unbound}` unbound{returned}",
    "F11.it-returned": " (it returned {rows})",
    "F11.did": "`{action}` ran (it returned {output})",
    "F11.did-request": "the request ran",
    "F11.note-both": (" An output pattern with both a success key and `error` never matches: actions return one or "
                      "the other."),
    "F11.note-other-flow": " `{action}` ran in another flow (called from a `where`: F14), so this flow never sees it.",
    "F11.note-never-ran": (" `{action}` never ran in this flow: the sync that should call it did not fire"
                           " (see the other findings for this request)."),
    "F12.log-one-carries-error": " One response carries `error`: a `{{}}` output pattern also matches `{{error}}`.",
    "F12.an-error": "an error",
    "F13.still-fired": " — here {step} returned {{error: {error}}} and the sync still fired.",
    "F14.its-output": " (its output: {output})",
    "F14.how-where": "was called from the `where` of `{sync}`",
    "F14.how-list": "returned a list (it was used as a query)",
    "F16.by": " (run by `{sync}`)",
    "F16.tail-500": _F16_TAIL + ", and the client got 500.",
    "F16.tail": _F16_TAIL + ".",
    "F16.injected": " (This failure was injected on purpose with `db.faults`.)",
    "F16.held-by": " It is already held by {existing}.",
    "F16.holder-gone": " (The document holding it is no longer there.)",
    "F16.an-exception": "an exception",
    "F16.after": " after `{last}`",
    "F17.injected": " (This failure was injected with `db.faults`.)",
    "F17.before-create": ", before `{create}` (in the same `then`) could run",
    "F19.severe": (", and its `{collection}` has {there} documents while this one has none: the server probably "
                   "runs against the test database (`@test-concepts`), which `testDb()` wipes."),
    "F19.usual": " (Deno tests use it; `testDb()` drops its collections at every test).",
    "PARSE.near": " (`{near}`)",
    "log.unknown-path": "(unknown path)",
    "log.times": " ({n} times)",
    "WHERE-THREW.message": ": `{message}`",
    "WHERE-THREW.no-message": " with no message at all (so the console line ends after the colon)",
    "WHERE-THREW.KeyError": ("A `KeyError` names a dictionary key that is not there: a frame or a row read with "
                             "`[…]` without the key (a Python port of `frame[x]`, where JavaScript reads `undefined`)."),
    "WHERE-THREW.other": "The message above is all the exception says; the console printed nothing more.",
}

#: code → title, tag, generation, the facts its wordings use, and the wordings.
MODES = {
    "F1": {
        "title": "value made in a `then` used later in the same `then`", "tag": "BINDING", "generation": "2025",
        "facts": {
            "name": "the unbound variable", "entry": "index of the `then` entry whose output names it",
            "label": "that `then` entry's action", "out_key": "its output key", "action": "the `then` action that needs it",
            "where": "the log reader's request prefix", "last": "the last action the log shows", "sync": "the sync's name",
        },
        "variants": {
            "engine": {
                "why": ("`{name}` only appears in the output pattern of `then` entry {entry} (`{label}`). A `then` output "
                        "pattern binds nothing, and every `then` input is resolved before any action runs, so this "
                        "error is thrown first: `{label}` never ran (nothing was inserted). Restarting the server will not help."),
                "fix": ("Split the sync: one sync runs `{label}`; a second sync whose `when` includes "
                        "`[{label}, {{}}, {{'{out_key}': {name}}}]` then calls `{action}` with `{name}`."),
            },
            "run": {
                "why": ("nothing in `when` or `where` binds `{name}`; most likely it is the output of an earlier "
                        "`then` entry. A `then` output pattern binds nothing and every `then` input is resolved "
                        "before any action runs, so no action of this `then` ran (nothing was inserted)."),
                "fix": ("Split the sync: one sync runs the action that makes `{name}`; a second sync whose `when` includes "
                        "that action with output `{{{name}}}` uses it."),
            },
            "log-session": {
                "why": (_REQUEST + "`{last}` succeeded, then `Missing binding: Symbol(session)` was thrown and no "
                        "`[Sessioning.create]` line was printed: the sync puts `Sessioning.create` and "
                        "`Requesting.respond` in one `then`. A `then` output pattern binds nothing and every `then` "
                        "input is resolved before any action runs, so Sessioning.create never ran and no session was "
                        "inserted. Restarting the server does not help."),
                "fix": _SPLIT_FIX,
            },
            "log": {
                "why": (_REQUEST + "`{last}` succeeded, then `Missing binding: Symbol({name})`: `{name}` is most likely "
                        "the output of an action in the same `then`. A `then` output pattern binds nothing, and every "
                        "`then` input is resolved before any action runs, so nothing in that `then` ran."),
                "fix": ("Move the action that produces `{name}` into its own sync, and respond from a second sync "
                        "whose `when` includes that action with output pattern `{{ {name} }}`."),
            },
            "syncs-session": {
                "why": ("`{sync}` puts `{label}` and `{action}` in one `then`; `{name}` is only bound by "
                        "`{label}`'s output pattern, but a `then` output pattern binds nothing and every `then` "
                        "input is resolved before any action runs, so `Missing binding: Symbol({name})` is thrown and "
                        "{label} never runs — nothing is inserted. Restarting the server does not help."),
                "fix": _SPLIT_FIX,
            },
            "syncs": {
                "why": ("`{sync}` puts `{label}` and `{action}` in one `then`; `{name}` is only bound by "
                        "`{label}`'s output pattern, but a `then` output pattern binds nothing and every `then` "
                        "input is resolved before any action runs, so `Missing binding: Symbol({name})` is thrown and "
                        "{label} never runs — nothing is inserted. Restarting the server does not help."),
                "fix": ("Split it: keep `{label}` here; respond in a second sync whose `when` includes "
                        "`[{label}, {{}}, {{ {name} }}]`."),
            },
        },
    },
    "F2": {
        "title": "query rows lack the output key, variable left unbound", "tag": "BINDING", "generation": "2025",
        "facts": {**APP_F2_FACTS,
            "name": "the unbound variable", "step": "the `where` query that left it unbound",
            "out_key": "the query's output key for it", "had": "phrase rows.had, or ''",
            "source": "where the sync could bind it", "where": "the log reader's request prefix",
        },
        "variants": {**APP_F2_VARIANTS,
            "engine": {
                "why": _F2_ROWS,
                "fix": ("Drop frames whose rows are errors before `then` (e.g. `.filter(lambda f: {name} in f)`), add an "
                        "error-response sync, or make `{step}` return `{out_key}` as the sync expects."),
            },
            "engine-rebuilt": {
                "why": ("`{name}` can be bound by {source}, but this frame does not have it: the frame was "
                        "rebuilt or filtered in `where` without keeping it."),
                "fix": _F2_KEEP_FIX,
            },
            "run": {
                "why": _F2_ROWS,
                "fix": ("Drop frames without `{name}` before `then` (`.filter(lambda f: {name} in f)`), add an "
                        "error-response sync, or make `{step}` return `{out_key}`."),
            },
            "run-in-when": {
                "why": ("`{name}` is bound in `when`, but this frame does not have it: `where` rebuilt or "
                        "filtered the frames without keeping it."),
                "fix": _F2_KEEP_FIX,
            },
            "log-user": {
                "why": (_REQUEST + "`Missing binding: Symbol(user)`: a `where` query (usually `Sessioning._getUser`) "
                        "returned a row without `user` — the seed returns `[{{error}}]` for an unknown session — so the "
                        "frame kept `user` unbound and the `then` threw; the client got 500."),
                "fix": ("Answer invalid sessions explicitly: an error sync whose query output pattern is `{{ error }}`, "
                        "and in the success sync keep only frames with a user: "
                        "`frames.filter(($) => $[user] !== undefined)`."),
            },
            "log": {
                "why": (_REQUEST + "`Missing binding: Symbol({name})`: a `where` query returned rows without the key "
                        "bound to `{name}` (`frames.query` binds a variable only for rows that have the key), so the "
                        "frame reached `then` with it unbound."),
                "fix": ("Make the query return `{{ {name}: … }}` rows (or rename the output pattern key to what it "
                        "returns), and filter out frames where `{name}` is unbound before `then`."),
            },
        },
    },
    "F3": {
        "title": "`error` bound on one path only", "tag": "BINDING", "generation": "2025",
        "facts": {
            "step": "the `where` query", "action": "the `then` action that needs `error`",
            "out_key": "the query's output key", "had": "phrase rows.had, or ''", "name": "the variable (`error`)",
            "where": "the log reader's request prefix", "sync": "the sync's name",
            "success": "the success variables passed beside `error`", "first": "the first of them",
        },
        "variants": {
            "engine": {
                "why": ("`error` is bound only on the failure path: on success `{step}` returns rows "
                        "without `error`, so a sync that always passes `error` to `{action}` fails. " + _F2_ROWS),
                "fix": "Use two syncs (or two frame sets): one responds with the result when it succeeds, one with `error` when it fails.",
            },
            "engine-nowhere": {
                "why": ("`error` is bound on one path only (or nowhere in this sync), so passing it to "
                        "`{action}` fails whenever that path was not taken. `error: undefined` does not help."),
                "fix": _F3_SEPARATE_FIX,
            },
            "run": {
                "why": ("`error` is bound only on the failure path: on success `{step}` returned rows "
                        "without `error`{had}, so passing `error` to the response fails."),
                "fix": "Use two syncs: one responds with the result on success, one with `error` on failure.",
            },
            "run-nowhere": {
                "why": ("`error` is bound on one path only (or nowhere in this sync), so passing it fails whenever "
                        "that path was not taken."),
                "fix": _F3_SEPARATE_FIX,
            },
            "log": {
                "why": (_REQUEST + "`Missing binding: Symbol(error)`: a `then` passes `error`, but `error` is only bound "
                        "when something failed; on the success path it is unbound and the whole sync throws "
                        "(`error: undefined` counts as missing too)."),
                "fix": ("Use two syncs: a success sync that responds with the result, and an error sync whose `when` "
                        "output pattern is `{{ error }}` that responds with `error`."),
            },
            "syncs-beside": {
                "why": ("`{sync}` responds with `error` beside `{success}`: on success `error` is unbound and on "
                        "failure `{first}` is, so one of them is always missing and the sync throws "
                        "`Missing binding` instead of responding."),
                "fix": ("Use two syncs: a success sync responding with the result, and an error sync (output pattern "
                        "`{{ error }}`) responding with `error`."),
            },
            "syncs-unbound": {
                "why": ("`{sync}` passes `error` to `{action}`, but nothing in its `when` or `where` binds `error`, so it "
                        "throws `Missing binding: Symbol(error)`."),
                "fix": "Respond with `error` only from a sync whose `when` output pattern is `{{ error }}`.",
            },
        },
    },
    "F4": {
        "title": "query input variable unbound (`Binding: … not found`)", "tag": "BINDING", "generation": "2025",
        "facts": {**APP_F4_FACTS,
            "fn": "the query that needs it", "name": "the unbound variable", "bound": "the frame's bound names",
            "sync": "the sync's name", "cause": "phrase F4.cause-none or F4.cause-rows",
            "where": "the log reader's request prefix",
        },
        "variants": {**APP_F4_VARIANTS,
            "engine": {
                "why": ("`{fn}` needs `{name}` as input, but this frame has no `{name}`"
                        " (bound: {bound}). Usually an earlier query returned"
                        " rows without that key — e.g. `_getUser` returns [{{error}}] for an unknown session."),
                "fix": ("Make sure `{name}` is bound before this query: check the previous query's output key, "
                        "or drop frames whose rows carry `error` before querying."),
            },
            "run": {
                "why": ("In the `where` of `{sync}`, a `frames.query` needs `{name}` as input, but {cause}; the next "
                        "query threw `Binding: Symbol({name}) not found` (the client got 500)."),
                "fix": ("Drop the frames without `{name}` before that query (`.filter(lambda f: {name} in f)`) and answer "
                        "them from an error sync that queries `{{error}}`."),
            },
            "log": {
                "why": (_REQUEST + "`Binding: Symbol({name}) not found`: a `frames.query` takes `{name}` as input but an "
                        "earlier step left it unbound — usually `_getUser` returned `[{{error}}]` for an invalid or "
                        "missing session."),
                "fix": ("Drop or answer the frames where `{name}` is unbound before the next query, e.g. "
                        "`frames.filter(($) => $[{name}] !== undefined)`, with a separate error-response sync."),
            },
        },
    },
    "F5": {
        "title": "`where` returns frames built from scratch (`Missing actionId`)", "tag": "BINDING", "generation": "2025",
        "facts": {
            "sync": "the sync's name", "n": "how many `when` records", "holding": "phrase F5.holding, or ''",
            "where": "the log reader's request prefix", "msg": "the error message",
        },
        "variants": {
            "engine": {
                "why": ("`where` returned frames that do not carry the hidden action ids of the `when` "
                        "records — frames built from scratch (`new Frames({{...}})`) instead of extended "
                        "from the frames it was given."),
                "fix": ("Build each new frame from an original one: `{{...frame, [x]: value}}` "
                        "(in Python: `{{**frame, x: value}}`), and return those."),
            },
            "run": {
                "why": ("`where` of `{sync}` returned frames without the hidden action ids of its {n} `when` record(s)"
                        "{holding}: frames built from scratch instead of extended from the frames it was given, so "
                        "`then` threw `Missing actionId in `then` clause.`"),
                "fix": "Build each returned frame from an original one: `{{**frame, x: value}}` (TypeScript `{{...frame, [x]: value}}`).",
            },
            "log": {
                "why": (_REQUEST + "`{msg}`: `where` returned frames built from scratch (`new Frames({{...}})` "
                        "without spreading an original frame), so they lack the hidden action ids the engine needs."),
                "fix": "Derive new frames from the old ones: `frames.map(($) => ({{ ...$, [x]: value }}))`.",
            },
            "syncs": {
                "why": ("`{sync}`'s `where` builds frames from scratch (`new Frames({{…}})` without spreading an original "
                        "frame): they lack the hidden action ids of `when`, so `then` throws "
                        "\"Missing actionId in `then` clause.\""),
                "fix": ("Derive new frames from existing ones: `frames.map(($) => ({{ ...$, [x]: value }}))` or "
                        "`new Frames({{ ...frame, [x]: value }})`."),
            },
        },
    },
    "F6": {
        "title": "hand-built frames with string keys", "tag": "BINDING", "generation": "2025",
        "facts": {"name": "the variable set as a string key", "sync": "the sync's name"},
        "variants": {
            "engine": {
                "why": ("the frame has `'{name}'` as a string key, but the engine reads only variable (symbol) keys, "
                        "so `{name}` is unbound. A frame built by hand as `{{...frame, {name}: value}}` sets a string key."),
                "fix": _F6_FIX,
            },
            "run": {
                "why": ("the frames `where` returned carry `'{name}'` as a string key, but the engine reads only "
                        "variable (symbol) keys, so `{name}` is unbound."),
                "fix": _F6_FIX,
            },
            "syncs": {
                "why": ("`{sync}`'s `where` sets `{name}` as a string key next to a spread frame; the engine reads only "
                        "symbol keys, so `{name}` stays unbound (`Missing binding: Symbol({name})`)."),
                "fix": "Use the variable as a computed key: `[{name}]: …`.",
            },
        },
    },
    "F7": {
        "title": "query used in `when`/`then` (`… is not instrumented.`)", "tag": "ENGINE", "generation": "2025",
        "facts": {
            "label": "the query's label", "name": "the callable's name", "loc": "phrase F7.loc, or ''",
            "msg": "the error message", "query": "the query's method name", "sync": "the sync's name",
            "part": "`when` or `then`", "method": "the method name", "action": "Concept._query as written",
        },
        "variants": {
            "engine-query": {
                "why": ("`{label}` is a query (its name starts with `_`): queries are not "
                        "instrumented, so they cannot appear in `when` or `then`."),
                "fix": "Call queries in `where`: `frames.query(Concept._query, {{input}}, {{output}})`.",
            },
            "engine": {
                "why": "`{name}` is not an action of a concept passed through `engine.instrument(...)`.",
                "fix": "Instrument the concept first: `X = engine.instrument(XConcept(db))`, and use `X.action`.",
            },
            "log-rebound": {
                "why": (_F7_CRASH + "an instrumented action was re-bound with `.bind(...)`, which hides its "
                        "instrumentation."),
                "fix": "Pass the action itself (`Concept.action`), never `Concept.action.bind(...)`.",
            },
            "log-query": {
                "why": (_F7_CRASH + "the query `{query}` is used in a `when` or `then`; queries (names starting with "
                        "`_`) are not instrumented."),
                "fix": "Move `{query}` into `where`: `frames.query(Concept.{query}, {{…}}, {{…}})`.",
            },
            "log": {
                "why": (_F7_CRASH + "`{name}` belongs to a concept that is not instrumented (imported from its class "
                        "file instead of `@concepts`)."),
                "fix": "Import concepts from `@concepts` (run `deno run build` to regenerate the barrel).",
            },
            "syncs": {
                "why": ("`{sync}` uses the query `{action}` in its `{part}`: queries (names starting with `_`) are not "
                        "instrumented, so the server crashes at startup with `Action bound {method} is not "
                        "instrumented.`"),
                "fix": "Move it into `where`: `frames.query({action}, {{ … }}, {{ … }})`.",
            },
        },
    },
    "F8": {
        "title": "`when` entry without an output pattern", "tag": "MATCH", "generation": "2025",
        "facts": {
            "action": "the `when` entry's action", "entry": "phrase F8.entry or F8.entry-label",
            "sync": "the sync's name", "trigger": "the action whose completion met it",
            "where": "the log reader's request prefix",
        },
        "variants": {
            "engine": {
                "why": ("a `when` entry for `{action}` has no third element (output pattern). The engine "
                        "only notices when a matching record first appears, not at start-up."),
                "fix": _F8_FIX,
            },
            "run": {
                "why": ("{entry} of `{sync}` has no output pattern. The engine notices only at run time, when a matching "
                        "record appears (here after `{trigger}` completed), and throws "
                        "`When pattern: [object Object] is missing output pattern.`"),
                "fix": _F8_FIX,
            },
            "log": {
                "why": (_REQUEST + "`When pattern: [object Object] is missing output pattern.`: a `when` entry is "
                        "written `[Concept.action, {{…}}]` without its output pattern; it throws when a matching action "
                        "is first met, not at startup."),
                "fix": "Add the third element to every `when` entry — `{{}}` if you need no output.",
            },
            "syncs": {
                "why": ("`{sync}`'s `when` entry for `{action}` has no output pattern; the engine throws `When pattern: "
                        "[object Object] is missing output pattern.` the first time it meets a matching action."),
                "fix": "Add the output pattern as the third element — `{{}}` if you need nothing from it.",
            },
        },
    },
    "F9": {
        "title": "query or `where` not returning an array/Frames", "tag": "ENGINE", "generation": "2025",
        "facts": {**APP_F9_FACTS,
            "fn": "the query", "type": "the type it returned", "value": "the value it returned (repr)",
            "sync": "the sync's name", "message": "the error message", "where": "the log reader's request prefix",
            "msg": "the error message (log)",
        },
        "variants": {**APP_F9_VARIANTS,
            "engine-query": {
                "why": "`{fn}` returned {type} ({value}), not a list: queries must return a list of dicts.",
                "fix": "Return a list from `{fn}`: `[{{...}}]` for one row, `[]` for none.",
            },
            "engine-where": {
                "why": "the `where` function returned nothing (a forgotten `return`), or not a list of frames.",
                "fix": "End `where` with `return frames` (the Frames after your queries and filters).",
            },
            "run-query": {
                "why": "`{sync}` threw `{message}`: a query in its `where` returned a single object or null, not a list of rows.",
                "fix": "Return a list from the query: `[{{...}}]` for one row, `[]` for none.",
            },
            "run-where": {
                "why": "`{sync}` threw `{message}`: its `where` returned nothing (a forgotten `return`) or not a list of frames.",
                "fix": "End `where` with `return frames`.",
            },
            "log": {
                "why": (_REQUEST + "`{msg}`: a query returned something that is not an array (an object, `null`), or "
                        "a `where` forgot to `return` its frames / chained on an un-awaited query."),
                "fix": ("Queries must return an array of objects (`[]` for none); `where` must be `async` and "
                        "`return` the frames."),
            },
        },
    },
    "F10": {
        "title": "request sync never matches → timeout (504)", "tag": "MATCH", "generation": "2025",
        "facts": {
            "path": "the request path", "closest": "phrase F10.closest or F10.no-path-sync", "sync": "the closest sync",
            "key": "the pattern key that did not match", "keys": "the body's keys", "where": "the log reader's request prefix",
            "seen": "phrase F10.log-…", "n": "how many requests", "last": "the latest request's time",
        },
        "variants": {
            "run-no-request-sync": {
                "why": ("No sync has `Requesting.request` in its `when`, so nothing handled '{path}' and nothing responded "
                        "(504 after the timeout)."),
                "fix": ("Register the sync file (only files named `*.sync.ts` are picked up; re-run `deno run build`), or "
                        "write a sync for this path." + _NO_RAISE_RUN),
            },
            "run-absent-key": {
                "why": _F10_NOT_MATCHED,
                "fix": ("Send `{key}` from the client (the body has: {keys}), or drop `{key}` from the "
                        "`when` pattern of `{sync}` if it is optional: a missing key means no match, not an error."
                        + _NO_RAISE_RUN),
            },
            "run-path": {
                "why": _F10_NOT_MATCHED,
                "fix": ("Make the path literal in `{sync}` exactly what the engine sees ({path!r} here): same case, no "
                        "trailing slash, never the `/api` prefix." + _NO_RAISE_RUN),
            },
            "run-unknown-path": {
                "why": _F10_NOT_MATCHED,
                "fix": ("Write a request sync for {path!r}, or register the sync file that has it (only `*.sync.ts` files "
                        "are picked up; re-run `deno run build`)." + _NO_RAISE_RUN),
            },
            "run-body": {
                "why": _F10_NOT_MATCHED,
                "fix": "Make the `when` pattern of `{sync}` agree with the request body." + _NO_RAISE_RUN,
            },
            "log": {
                "why": ("{where} timed out: no request sync fired for it{keys}.{seen} Either none matched — the path "
                        "literal must match exactly (case, no trailing slash, no `/api` prefix), every key in the `when` "
                        "input pattern must be in the request body, and a sync file not named `*.sync.ts` or a stale "
                        "barrel is invisible — or a matching sync's `where` removed every frame (e.g. `_getUser` found no "
                        "user for the session)." + _NO_RAISE),
                "fix": ("Make a sync's `when` match `[Requesting.request, {{ path: \"{path}\", … }}, {{ request }}]` "
                        "exactly; run `deno run build` after adding sync files."),
            },
            "engine": {
                "why": ("Nothing called `Requesting.respond` for '{path}' before the timeout: no request sync matched it "
                        "(its path literal and every key of its `when` input pattern must match the request), or "
                        "one matched but a `where` emptied the frames or no response sync matched (F11)."),
                "fix": ("Run `diagnose(app)`: it names the sync that came closest and the key or step that failed. "
                        "Raising REQUESTING_TIMEOUT will not help."),
            },
            "db": {
                "why": ("{n} request(s) to {path!r} have no stored response (latest at {last}): nothing called "
                        "`Requesting.respond` for them — no request sync matched the path and keys (F10), a response "
                        "sync never matched (F11), or the cascade threw and the client got 500."),
                "fix": ("Replay one of them in the kit (`app.request({path!r}, ...)` with keys {keys}) and "
                        "look at `diagnose(app)`: it names the sync and the pattern key that did not match."),
            },
        },
    },
    "F11": {
        "title": "response sync never matches → timeout (504)", "tag": "MATCH", "generation": "2025",
        "facts": {
            "sync": "the response sync", "detail": "phrase F11.emptied (+ F11.no-rows / F11.after-unbound)",
            "step": "the `where` step's name", "did": "phrase F11.did or F11.did-request", "path": "the request path",
            "entry": "index of the `when` entry that failed", "pattern": "that entry as written",
            "text": "why it failed", "note": "phrase F11.note-…, or ''", "keys": "the success keys",
            "action": "the action whose output did not match", "where": "the log reader's request prefix",
            "last": "the last action the log shows", "others": "the success keys (sync files)",
        },
        "variants": {
            "run-where-emptied": {
                "why": ("`{sync}` matched its `when`, but its `where` emptied the frames: {detail}. With no frame left it "
                        "does not fire, nothing responded, and the request timed out (504)."),
                "fix": ("Answer the case `where` filters out: add a sync for it (e.g. an error response when `{step}` "
                        "finds nothing), or fix the query/filter so the expected frames survive."),
            },
            "run-no-response-sync": {
                "why": "{did}, but no sync responds to '{path}' after it, so the request timed out (504).",
                "fix": ("Add a response sync: when `[Requesting.request, {{path: '{path}'}}, {{request}}]` and the action's "
                        "output, then `Requesting.respond`."),
            },
            "run-both-keys": {
                "why": _F11_RESPONSE,
                "fix": "Split `{sync}` into a success sync `{{{keys}}}` and an error sync `{{error}}`.",
            },
            "run-error-unanswered": {
                "why": _F11_RESPONSE,
                "fix": ("`{action}` returned `{{error}}` and no sync answers that: add one — when "
                        "`[Requesting.request, {{path: '{path}'}}, {{request}}]` and `[{action}, {{}}, {{error}}]`, "
                        "then `Requesting.respond {{request, error}}`."),
            },
            "run-no-record": {
                "why": _F11_RESPONSE,
                "fix": ("Make `{action}` run in this flow: fix the sync whose `then` calls it (it must be "
                        "triggered by an action of this request's flow), or drop it from the `when` of `{sync}`."),
            },
            "run-output": {
                "why": _F11_RESPONSE,
                "fix": ("Make the output pattern of `{action}` in `{sync}` name a key that action really "
                        "returns (or `{{}}` if it returns nothing)."),
            },
            "log-emptied": {
                "why": ("{where} timed out: `{sync}` matched but its `where` removed every frame (the engine "
                        "logged no frames after `where`), so nothing responded." + _NO_RAISE),
                "fix": ("Check the `where` of that sync: a query returning `[]`, a `collectAs` on nothing, or a filter "
                        "that drops every frame; respond explicitly for the empty case."),
            },
            "log-error-unanswered": {
                "why": ("{where} timed out: `{last}` returned `{{error}}` but no sync responded to it — the error "
                        "response sync is missing or its output pattern never matches (e.g. `{{ x, error }}`)."
                        + _NO_RAISE),
                "fix": ("Add a sync: when `Requesting.request` (path `{path}`) and `{last}` with output `{{ error }}`, "
                        "then `Requesting.respond({{ request, error }})`."),
            },
            "log": {
                "why": ("{where} timed out: `{last}` ran but no response sync matched its output — an output pattern "
                        "with a key the action does not return (or both a key and `error`), or a `when` needing an "
                        "action that ran in another flow." + _NO_RAISE),
                "fix": ("Compare the response sync's `when` output pattern for `{last}` with what it returned "
                        "(see the actions table) and make them agree."),
            },
            "syncs-both-keys": {
                "why": ("`{sync}` waits for `{action}` with output pattern `{pattern}`: an action returns "
                        "either its result or `{{ error }}`, never both, so this never matches and the request times out."),
                "fix": "Split it into two syncs: one matching `{others}`, one matching `{{ error }}`.",
            },
        },
    },
    "F12": {
        "title": "`{}` success sync and `{error}` sync both fire", "tag": "MATCH", "generation": "2025",
        "facts": {**APP_F12_FACTS,
            "request": "the request id", "n": "how many answers", "got": "the answers, sync by sync",
            "sync": "the sync at fault", "entry": "its `when` entry as written", "output": "the output it matched",
            "action": "the action of that entry", "path": "the request path", "times": "phrase log.times, or ''",
            "both": "phrase F12.log-one-carries-error, or ''", "other": "the error sync",
        },
        "variants": {**APP_F12_VARIANTS,
            "run-empty-output": {
                "why": (_F12_RUN + "`{sync}` waits for `{entry}`: an empty output pattern matches every "
                        "completion, including {output}, so it answered beside the error sync." + _F12_RUN_END),
                "fix": ("Match success in `{sync}` on a key only the success returns (make "
                        "`{action}` return e.g. the deleted id), or drop error frames in its `where`; "
                        "exactly one sync should respond per outcome."),
            },
            "run-frames": {
                "why": _F12_RUN + "`{sync}` fired once per frame, and its `where` left {n} frames." + _F12_RUN_END,
                "fix": "Make the `where` of `{sync}` leave one frame per request (collect rows with `collectAs`).",
            },
            "run-overlap": {
                "why": _F12_RUN + "two syncs whose patterns overlap both matched the same outcome." + _F12_RUN_END,
                "fix": "Make the response syncs' patterns exclusive (one for success, one for `{{error}}`).",
            },
            "log": {
                "why": ("Request {path}{times} was answered twice ({n} `Requesting.respond` calls): two response syncs "
                        "matched the same request.{both} The client got the first answer; `Requesting.requests` stores "
                        "the last."),
                "fix": ("Give the success sync's `when` a success output key (e.g. `{{ user }}` instead of `{{}}`) so "
                        "exactly one response sync matches each outcome."),
            },
            "syncs": {
                "why": ("`{sync}` responds to `{path}` when `{action}` completes with output pattern `{{}}`, "
                        "which also matches `{{ error }}`; `{other}` responds to that error too, so both fire: "
                        "the client gets the first answer and `Requesting.requests` stores the last."),
                "fix": ("Give `{sync}`'s `{action}` entry a success output key instead of `{{}}` (what it returns on "
                        "success), or make the action return a marker such as `{{ ok: true }}`."),
            },
        },
    },
    "F13": {
        "title": "auth check that checks nothing", "tag": "MATCH", "generation": "2025",
        "facts": {**APP_F13_FACTS,
            "step": "the query", "input": "its input pattern as written", "sync": "the sync's name",
            "tail": "phrase F13.still-fired, or '.'", "error": "the error the query returned",
            "name": "the variable left unbound", "via": "query or queryAsync", "action": "Concept._query as written",
        },
        "variants": {**APP_F13_VARIANTS,
            "run-empty-output": {"why": _F13_RUN_EMPTY + "{tail}", "fix": _F13_RUN_EMPTY_FIX},
            "run-unused": {
                "why": ("`{sync}` fired although `{step}` returned {{error: {error}}}: `{name}` stayed unbound and "
                        "nothing after it requires `{name}`, so the check filters nothing (an invalid session still "
                        "gets through)."),
                "fix": ("Drop the failed rows right after the query: `.filter(lambda f: {name} in f)`, and answer them "
                        "from an error sync."),
            },
            "syncs-empty-output": {
                "why": ("`{sync}` checks the session with `frames.{via}({action}, …, {{}})`: an empty output pattern keeps "
                        "the frame even when the query returns `[{{ error }}]` for an unknown session, so the check lets "
                        "every request through."),
                "fix": ("Bind the user (output `{{ user }}`) and keep only frames that have it: "
                        "`frames.filter(($) => $[user] !== undefined)`; answer the invalid-session case in its own sync."),
            },
            "syncs-unused": {
                "why": ("`{sync}` binds `{name}` from `{action}` but never uses it: for an unknown session the query "
                        "returns `[{{ error }}]`, the frame survives with `{name}` unbound, and the `then` runs anyway."),
                "fix": ("Require the binding: `frames.filter(($) => $[{name}] !== undefined)` (or use `{name}` in "
                        "`then`), and answer the invalid-session case in its own sync."),
            },
        },
    },
    "F14": {
        "title": "action used as a query or awaited in `where` → runs in a new flow", "tag": "ENGINE",
        "generation": "2025",
        "facts": {
            "action": "the action's label", "how": "phrase F14.how-…", "output": "phrase F14.its-output, or ''",
            "method": "the method name", "times": "phrase log.times, or ''", "msg": "the error message",
            "sync": "the sync's name", "via": "query or queryAsync",
        },
        "variants": {
            "run": {"why": _F14_RUN, "fix": _F14_RUN_FIX},
            "log-array": {
                "why": ("`{action}` is an action (no `_` prefix) but returned an array{times}: it was used as a query "
                        "(`frames.query` or awaited inside `where`), so it ran as an action in a new flow — its syncs "
                        "and effects never join the request's flow."),
                "fix": "Rename it `_{method}` so it is a query, or call it from a `then` if it really is an action.",
            },
            "log": {
                "why": "`{msg}`: an action was called with hidden engine keys of the wrong type.",
                "fix": "Call actions only with plain input objects.",
            },
            "syncs-query": {
                "why": ("`{sync}` calls `{action}` through `frames.{via}`, but `{method}` has no `_` prefix, so it is an "
                        "action: it runs in a new flow (a TRACE line with an array output) and can trigger other syncs."),
                "fix": "Rename the method `_{method}` if it only reads (a query); call real actions from `then`.",
            },
            "syncs-await": {
                "why": ("`{sync}` awaits the action `{action}` inside `where`: it runs in a new flow, so its effects and "
                        "the syncs it triggers never join this request's flow."),
                "fix": "Call actions from `then`; in `where` use queries (`_…`) through `frames.query`.",
            },
        },
    },
    "F15": {
        "title": "passthrough route shadows Requesting", "tag": "MATCH", "generation": "2025",
        "facts": {**APP_F15_FACTS, "n": "how many unverified routes", "route": "one of them"},
        "variants": {**APP_F15_VARIANTS,
            "log": {
                "why": ("{n} passthrough route(s) are registered but unverified (e.g. `{route}`). "
                        "Passthrough routes win over the Requesting catch-all, so a request to one of them runs "
                        "the concept method directly — no `Requesting.request`, no syncs, no session checks."),
                "fix": ("List each route in `src/concepts/Requesting/passthrough.ts`: in `inclusions` if it is meant to be "
                        "public, in `exclusions` to send it through Requesting and your syncs."),
            },
        },
    },
    "F16": {
        "title": "action throws instead of returning `{error}` (incl. E11000)", "tag": "DB", "generation": "2025",
        "facts": {**APP_F16_FACTS,
            "action": "the action's label", "by": "phrase F16.by, or ''", "index": "the unique index",
            "collection": "its collection", "key": "the duplicate key as written", "holder": "phrase F16.held-by / F16.holder-gone",
            "tail": "phrase F16.tail-500 or F16.tail", "injected": "phrase F16.injected, or ''",
            "fields": "the key's fields", "error_type": "the exception's class", "message": "the exception's message",
            "where": "the log reader's request prefix", "route": "the passthrough route", "msg": "the error message",
            "after": "phrase F16.after, or ''", "n": "how many duplicated values", "field": "the username field",
            "sample": "examples",
        },
        "variants": {**APP_F16_VARIANTS,
            "run-duplicate-id": {
                "why": ("`{action}`{by} threw E11000: the unique index `{index}` of `{collection}` "
                        "already has {{ {key} }}.{holder}{tail}{injected}"),
                "fix": ("`{action}` inserts with an `_id` that already exists: use a fresh id (`freshID()`), or an "
                        "upsert (`update_one(..., upsert=True)`) if updating was meant; catch `DuplicateKeyError` and "
                        "return `{{error: ...}}` like the seed's `Sessioning.create`."),
            },
            "run-duplicate": {
                "why": ("`{action}`{by} threw E11000: the unique index `{index}` of `{collection}` "
                        "already has {{ {key} }}.{holder}{tail}{injected}"),
                "fix": ("Check for an existing document with the same {fields} before inserting and return "
                        "`{{error: ...}}`, and catch `DuplicateKeyError` in `{action}` (two requests can still race)."),
            },
            "run": {
                "why": "`{action}`{by} threw `{error_type}: {message}` instead of returning `{{error}}`.{tail}{injected}",
                "fix": ("Catch the exception inside `{action}` and return `{{error: \"...\"}}`, so an error sync can answer "
                        "the client."),
            },
            "log-e11000": {
                "why": (_REQUEST + "an action threw `E11000 duplicate key error` instead of returning `{{error}}`. "
                        "The exception aborted the cascade: later syncs, including any error-response sync, never "
                        "ran and the client got 500."),
                "fix": ("Catch the error in the action and return `{{ error: \"…\" }}` (check for an existing document "
                        "first, or use an upsert when the `_id` is deterministic); await `createIndex` before inserting."),
            },
            "log-passthrough": {
                "why": "The passthrough route for `{route}` threw `{message}`; the client got 500.",
                "fix": "Return `{{ error: \"…\" }}` from the action instead of throwing.",
            },
            "log-session": {
                "why": "`Sessioning.create` failed and returned `{{error}}`: {msg}.",
                "fix": "Check the database connection and the `Sessioning.sessions` collection (unique indexes, ids).",
            },
            "log": {
                "why": (_REQUEST + "something threw `{msg}`{after} — an action (or a `where`) threw instead of "
                        "returning `{{error}}`, so the cascade aborted, no error-response sync ran and the client got 500."),
                "fix": "Catch the error in the action and return `{{ error: \"…\" }}`; respond to it with an error sync.",
            },
            "db-duplicates": {
                "why": ("{n} `{field}` value(s) in `{collection}` are held by several users "
                        "({sample}): there is no unique index, or it was created after the duplicates (an unawaited "
                        "`createIndex` races the first inserts). Logging in finds only one of them; building the index "
                        "now fails with E11000."),
                "fix": ("Remove the duplicates, then create the unique index on `{field}` before the first "
                        "insert (await it), and keep the `findOne` pre-check in `register`."),
            },
        },
    },
    "F17": {
        "title": "the insert never happened", "tag": "DB", "generation": "2025",
        "facts": {
            "login": "the login action that succeeded", "collection": "the sessions collection",
            "create": "the session-creating action", "error": "its error", "injected": "phrase F17.injected, or ''",
            "into": "the collections it inserted into", "first": "the first of them", "output": "what it returned",
            "sync": "the sync at fault", "before": "phrase F17.before-create, or ''", "text": "why it did not match",
            "step": "the `where` step that emptied the frames", "where": "the log reader's request prefix",
            "msg": "the error message", "state": "'empty' or 'not in this database'", "counts": "the other collections",
            "verb": "'is' or 'are'", "other": "the other collection", "what": "what has the wrong type",
            "kinds": "the id types found", "n": "how many orphaned sessions", "total": "how many sessions",
            "users": "the users collection", "sample": "examples",
        },
        "variants": {
            "run-threw": {
                "why": _F17_HEAD + "`{create}` ran but threw `{error}` (see F16).",
                "fix": "Catch the error in `{create}` and return `{{error}}`; fix the cause of the exception.",
            },
            "run-error": {
                "why": _F17_HEAD + "`{create}` ran but returned {{error: {error}}}, so no document was written.{injected}",
                "fix": "Fix what made `{create}` fail (the error above), and answer the client from an error sync.",
            },
            "run-other-collection": {
                "why": _F17_HEAD + "`{create}` inserted into `{into}` instead — a different collection name from the one inspected.",
                "fix": "Read `{into}` (pass `collection='{first}'`), or make the concept use `{collection}`.",
            },
            "run-no-insert": {
                "why": _F17_HEAD + "`{create}` ran and returned {output} without inserting anything.",
                "fix": "Make `{create}` insert the session document before it returns the id.",
            },
            "run-binding-same-then": {
                "why": (_F17_HEAD + "`{create}` never ran: `{sync}` threw `{error}` while resolving its `then` inputs"
                        "{before} — every `then` input is resolved before any action runs. Restarting the server will not help."),
                "fix": ("Split `{sync}`: one sync calls `{create}`, a second sync whose `when` includes "
                        "`[{create}, {{}}, {{session}}]` responds."),
            },
            "run-binding": {
                "why": (_F17_HEAD + "`{create}` never ran: `{sync}` threw `{error}` while resolving its `then` inputs"
                        "{before} — every `then` input is resolved before any action runs. Restarting the server will not help."),
                "fix": "Fix the error in `{sync}` (see its finding).",
            },
            "run-cascade-stopped": {
                "why": _F17_HEAD + "`{create}` never ran: the cascade stopped when `{sync}` threw `{error}`.",
                "fix": "Fix the error in `{sync}` (see its finding).",
            },
            "run-no-creator": {
                "why": _F17_HEAD + "`{create}` never ran: no registered sync has `{create}` in its `then`.",
                "fix": ("Add a sync: when `[{login}, {{}}, {{user}}]` then `[{create}, {{user}}]` (and check the sync "
                        "file is registered)."),
            },
            "run-never-tried": {
                "why": (_F17_HEAD + "`{create}` never ran: `{sync}` (which calls it) was never tried in this flow — its "
                        "`when` does not include `{login}`."),
                "fix": "Put `[{login}, {{}}, {{user}}]` in the `when` of `{sync}`.",
            },
            "run-not-matched": {
                "why": _F17_HEAD + "`{create}` never ran: `{sync}` did not match — {text}.",
                "fix": "Make the `when` of `{sync}` match what `{login}` returns (e.g. `{{user}}`).",
            },
            "run-emptied": {
                "why": _F17_HEAD + "`{create}` never ran: the `where` of `{sync}` emptied the frames at `{step}`.",
                "fix": "Fix the `where` of `{sync}` so the logged-in user's frame survives.",
            },
            "run-matched": {
                "why": _F17_HEAD + "`{create}` never ran although `{sync}` matched.",
                "fix": "Check the `then` of `{sync}`.",
            },
            "log-objectid": {
                "why": (_REQUEST + "`{msg}`: ids in this app are UUID strings, not ObjectIds; `new ObjectId(id)` throws "
                        "and ObjectId `_id`s never equal the string ids in frames."),
                "fix": "Use the string ids as they are (`{{ _id: id }}`); never wrap them in `new ObjectId(...)`.",
            },
            "db-elsewhere": {
                "why": ("`{collection}` is {state}, but {counts} {verb} — the app names its sessions collection "
                        "differently, so inspecting the default finds nothing."),
                "fix": ("Inspect `{other}` (pass `sessions_collection='{other}'`), or rename the collection in the "
                        "concept if it was a typo."),
            },
            "db-others": {
                "why": ("Besides `{collection}` this database has other session-like collections: {counts}. Writes may "
                        "go to one while the app reads another."),
                "fix": "Check which collection each concept uses (`PREFIX + \"sessions\"`).",
            },
            "db-id-types": {
                "why": ("In `{collection}`, {what} are {kinds}, not strings. An ObjectId never equals the string UUIDv7 "
                        "ids that travel in frames, so look-ups such as `_getUser({{session}})` silently find nothing; "
                        "`new ObjectId(<uuid>)` throws `BSONError`."),
                "fix": ("Store ids as the strings `freshID()` makes (`_id: freshID()`), never `new ObjectId(...)`; "
                        "migrate the existing documents."),
            },
            "db-orphans-id-types": {
                "why": (_F17_ORPHANS + "their user ids are strings while `{users}` stores ObjectIds (or the reverse): "
                        "the same id in two types never matches. Examples: {sample}."),
                "fix": "Use one id type everywhere (the string ids `freshID()` makes).",
            },
            "db-orphans": {
                "why": (_F17_ORPHANS + "those users are not in `{users}` (deleted, created in another database, or the "
                        "session was created for an unchecked id — `Sessioning.create` checks nothing). Examples: {sample}."),
                "fix": ("Delete sessions when their user is deleted, and create sessions only for a user that "
                        "`authenticate` returned."),
            },
        },
    },
    "F18": {
        "title": "environment / connection (`MONGODB_URL`, Atlas)", "tag": "DB", "generation": "2025",
        "facts": {"msg": "the error message", "reason": "the first sentence of the connection error"},
        "variants": {
            "log": {
                "why": "The server could not reach its database: `{msg}`.",
                "fix": ("Set `MONGODB_URL` and `DB_NAME` in `.env`; for Atlas, check the user's password and allow your IP "
                        "in Network Access."),
            },
            "db-unreachable": {
                "why": "The database could not be reached: {reason}.",
                "fix": ("Check MONGODB_URL and DB_NAME (in .env or --uri/--db-name), that the server is running, "
                        "and for Atlas the user's password and the IP access list."),
            },
        },
    },
    "F19": {
        "title": "test database in use or wiped (`test-<DB_NAME>`)", "tag": "DB", "generation": "2025",
        "facts": {"name": "the database's name", "real": "the real database's name", "state": "phrase F19.severe or F19.usual"},
        "variants": {
            "db-test": {
                "why": ("This is `{name}`, the database Deno tests use: `testDb()` drops every collection in it at the "
                        "start of each test, so what you see here can vanish. If the server writes here, main.ts imports "
                        "`@test-concepts` instead of `@concepts`."),
                "fix": "Read the real database `{real}` (DB_NAME in .env), and make main.ts import `@concepts`.",
            },
            "db-beside": {"why": "`test-{name}` exists beside `{name}`{state}", "fix": _F19_FIX},
        },
    },
    "F20": {
        "title": "Deno tests report leaks", "tag": "DB", "generation": "2025", "facts": {},
        "variants": {
            "log": {
                "why": ("Deno tests reported leaks: a MongoClient was not closed or a promise (e.g. `createIndex`) was "
                        "not awaited."),
                "fix": "Close the client at the end of each test (`await client.close()`) and await index creation.",
            },
        },
    },
    "F21": {
        "title": "stale generated barrel, or a sync file not named `*.sync.ts`", "tag": "BUILD", "generation": "2025",
        "facts": {"msg": "the error message", "file": "the sync file", "names": "its syncs", "base": "its base name"},
        "variants": {
            "log": {
                "why": ("The server could not load its generated barrels: `{msg}`. `src/concepts/concepts.ts` and "
                        "`src/syncs/syncs.ts` are generated by `deno run build` and git-ignored, so a fresh clone or a "
                        "deploy without the build step does not have them (and a new sync file stays invisible until "
                        "the next build)."),
                "fix": ("Run `deno run build` before `deno task start` (on Render, add it to the build command), and name "
                        "sync files `*.sync.ts`."),
            },
            "syncs": {
                "why": ("`{file}` is not named `*.sync.ts`, so the generated barrel ignores it: its syncs "
                        "({names}) are never registered and their requests time out."),
                "fix": "Rename it to `{base}.sync.ts` and run `deno run build`.",
            },
        },
    },
    # Kit checks with no id in failure-modes.md
    "UNBOUND": {
        "title": "a `then` variable that nothing binds", "tag": "BINDING", "generation": "2025",
        "facts": {**APP_UNBOUND_FACTS, "name": "the unbound variable", "sync": "the sync's name", "action": "the `then` action"},
        "variants": {**APP_UNBOUND_VARIANTS,
            "engine": {
                "why": "nothing in this sync binds `{name}`: it is not in any `when` pattern or `where` query output.",
                "fix": "Bind `{name}` in `when` (an input or output key) or in `where` (a query's output pattern).",
            },
            "syncs": {
                "why": ("`{sync}` passes `{name}` to `{action}` in `then`, but no `when` pattern or `where` binds it, so it "
                        "throws `Missing binding: Symbol({name})`."),
                "fix": "Bind `{name}` in a `when` pattern or a `where` query's output pattern, or remove it.",
            },
        },
    },
    "API-PREFIX": {
        "title": "path literal with the `/api` prefix", "tag": "MATCH", "generation": "2025",
        "facts": {"sync": "the sync's name", "key": "the pattern key", "path": "the path literal", "bare": "it without `/api`"},
        "variants": {
            "syncs": {
                "why": ("`{sync}` matches `{key}: \"{path}\"`, but Requesting removes the `/api` base before matching, so "
                        "this path never matches and the request times out (F10)."),
                "fix": "Write the path without the prefix: `\"{bare}\"`.",
            },
        },
    },
    "PARSE": {
        "title": "file could not be parsed", "tag": "BUILD", "generation": "2025",
        "facts": {"file": "the file", "reason": "why it could not be read", "line": "the line", "near": "phrase PARSE.near, or ''"},
        "variants": {
            "unreadable": {"why": "`{file}` could not be read: {reason}.", "fix": "Check the file's permissions."},
            "binary": {"why": "`{file}` is not a text file.", "fix": "Remove it from `src/syncs`."},
            "syntax": {
                "why": ("`{file}` has a syntax error near line {line}{near}; Deno will not load it, so the server does not "
                        "start. Syncs in the rest of the file are still checked."),
                "fix": "Fix the syntax error (an unclosed bracket, a missing comma or `)`), then run `deno run build`.",
            },
        },
    },
    "INFO": {
        "title": "information", "tag": "INFO", "generation": "any",
        "facts": {"n": "how many", "path": "an example path", "users": "the users collection",
                  "flow": "the flow's id", "error": "the exception (`Class: message`)"},
        "variants": {
            "run-unreadable-flow": {
                "why": "Flow {flow} could not be analysed ({error}).",
                "fix": "Check that the run was recorded by the kit (or exported with `run.to_json()`).",
            },
            "log-unanswered": {
                "why": ("{n} request(s) have no response and no error in the log (e.g. {path}); the log may end before "
                        "their timeout."),
                "fix": ("If they never answered, look for `timed out` lines later on, or read the database's "
                        "`Requesting.requests`."),
            },
            "log-not-a-log": {
                "why": "Nothing in this input looks like a course-engine server log ({n} unrecognised lines).",
                "fix": ("Paste the server's console output (stdout and stderr), e.g. from `deno task start` or Render's "
                        "Logs tab."),
            },
            "db-no-users": {
                "why": "`{users}` is not in this database, so sessions could not be joined to their users.",
                "fix": "Pass `users_collection=` the collection your authentication concept uses.",
            },
        },
    },
    # the whole-app sync checks (issue 12), after the first published codes
    **APP_NEW_MODES,
    # hostile input (issue 15): errors that used to end without a diagnosis
    "CASCADE-LOOP": {
        "title": "syncs that trigger each other without end", "tag": "ENGINE", "generation": "2025",
        "facts": {"cycle": "the syncs of the cycle, in order (`A → B → A`)", "actions": "the actions they call",
                  "n": "how many actions ran before the engine gave up", "message": "the error's message"},
        "variants": {
            "run": {
                "why": ("The cascade never ends: {cycle} — each of these syncs fires on an action the previous one "
                        "called ({actions}), so {n} actions ran before Python gave up with `{message}`. The course "
                        "engine has no limit either: its server would keep working until it runs out of memory."),
                "fix": ("Make one sync of the cycle match less: an output pattern that names a key only the first "
                        "success has (`{{user}}` rather than `{{}}`), or a `where` that drops the frame once the work "
                        "is done."),
            },
        },
    },
    "WHERE-THREW": {
        "title": "`where` or a query threw an error of the app's own code", "tag": "ENGINE", "generation": "2025",
        "facts": {"sync": "the sync whose `where` threw", "error": "the exception's class", "shown": "its message, or a note that it has none",
                  "trigger": "the action the sync reacted to", "hint": "what that class of error usually means"},
        "variants": {
            "run": {
                "why": ("`{sync}`'s `where` (reacting to `{trigger}`) threw {error}{shown}. Nothing in the engine "
                        "catches it: the rest of the cascade is skipped, no sync responds and the handler answers 500. "
                        "{hint}"),
                "fix": ("Find the line in `{sync}`'s `where` (or the query it calls) that raises {error}: guard it "
                        "(`.get(…)` for a key that may be missing, a check before using a value), and let frames "
                        "that cannot go on be dropped, with an error sync answering the client."),
            },
        },
    },
    # whole-app checks added later (issue 12, blind recall)
    **APP_LATER_MODES,
}
