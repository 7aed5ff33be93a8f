"""Data: the wordings of the whole-app sync checks (issue 12), merged into the 2025 catalogue.

``NEW_MODES`` are checks that only a reader of the whole app (its concepts, its engine, its
routes) can make; ``MORE_VARIANTS`` are wordings of existing modes (F2, F4, F9, F13, F15) that
such checks print, with the facts they need. Pure data, read only through
:mod:`sessioning.failure_modes`; literal braces are doubled (``{{error}}`` prints ``{error}``).
"""

_TIMEOUT = "the client waits until the timeout (504)"

NEW_MODES = {
    "PATH-SLASH": {
        "title": "path literal without its leading `/`", "tag": "MATCH", "generation": "2025",
        "facts": {"sync": "the sync's name", "path": "the path literal"},
        "variants": {
            "syncs": {
                "why": ("`{sync}` listens on `path: \"{path}\"`, but the path Requesting gives a sync always starts with "
                        "`/` (it is the URL after the base), so this pattern never matches and the request times out."),
                "fix": "Write the path with its leading slash: `\"/{path}\"`.",
            },
        },
    },
    "NO-RESPONDER": {
        "title": "a path no sync answers", "tag": "MATCH", "generation": "2025",
        "facts": {"path": "the request path", "names": "the syncs listening on it", "unsure": "a note, or ''"},
        "variants": {
            "syncs": {
                "why": ("`{path}` is handled by {names}, but no sync calls `Requesting.respond` for it: the request's "
                        "actions run and then nothing answers, so " + _TIMEOUT + ".{unsure}"),
                "fix": ("Add a response sync: `when` the request for `{path}` and the action it runs complete, `then` "
                        "`Requesting.respond` with the result (and one for `{{ error }}`)."),
            },
        },
    },
    "SILENT-ERROR": {
        "title": "`{}` responder with no `{error}` twin: failures answered as success", "tag": "MATCH",
        "generation": "2025",
        "facts": {"sync": "the sync's name", "path": "the request path", "action": "the action it waits for"},
        "variants": {
            "syncs": {
                "why": ("`{sync}` answers `{path}` when `{action}` completes with output pattern `{{}}`, which also "
                        "matches its `{{ error }}` returns, and no sync answers that error: a failed `{action}` is "
                        "answered as a success and the client never sees the error."),
                "fix": ("Give this `when` entry the success keys `{action}` returns, and add a sync answering "
                        "`[{action}, {{}}, {{ error }}]` with `error`."),
            },
            "syncs-same-then": {
                "why": ("`{sync}` calls `{action}` and `Requesting.respond` in one `then`: the answer is sent whatever "
                        "`{action}` returns, so when it fails with `{{ error }}` the client of `{path}` is told it "
                        "succeeded."),
                "fix": ("Respond from separate syncs that wait for `{action}`: one matching its success keys, one "
                        "matching `{{ error }}`."),
            },
        },
    },
    "ERROR-UNANSWERED": {
        "title": "an action's `{error}` that no sync answers", "tag": "MATCH", "generation": "2025",
        "facts": {"path": "the request path", "action": "the action the path runs", "names": "its responders"},
        "variants": {
            "syncs": {
                "why": ("`{path}` runs `{action}`, which can return `{{ error }}`, but only {names} answer it, and only "
                        "on success: when it fails nothing responds and " + _TIMEOUT + "."),
                "fix": ("Add a sync answering the failure: `when` the request for `{path}` and "
                        "`[{action}, {{}}, {{ error }}]`, `then` `Requesting.respond` with `error`."),
            },
        },
    },
    "DROPPED-UNANSWERED": {
        "title": "a request the `where` drops that no sync answers", "tag": "MATCH", "generation": "2025",
        "facts": {"sync": "the sync's name", "path": "the request path"},
        "variants": {
            "syncs": {
                "why": ("`{sync}`'s `where` can leave no frame for a `{path}` request (a filter, a length test, or a "
                        "query answering `[]`), and no sync answers that case: such a request runs nothing and "
                        + _TIMEOUT + "."),
                "fix": ("Add an error sync for `{path}` whose `where` keeps exactly the frames this one drops and "
                        "responds with an `error`."),
            },
        },
    },
    "ACTION-ARRAY": {
        "title": "action returning an array, matched by key", "tag": "MATCH", "generation": "2025",
        "facts": {"sync": "the sync's name", "action": "Concept.method", "keys": "the output keys asked for",
                  "method": "the method name", "loc": "file:line of the method", "first": "the first key"},
        "variants": {
            "syncs": {
                "why": ("`{sync}` waits for `{action}` with output `{{ {keys} }}`, but `{method}` ({loc}) returns an "
                        "array: an action's output is matched by key, and an array has no such key, so this `when` "
                        "never matches."),
                "fix": ("Make `{method}` return an object (`{{ {first}: … }}`), or make it a query `_{method}` called "
                        "with `frames.query`."),
            },
        },
    },
}

MORE_VARIANTS = {
    "F12": {
        "facts": {"keys": "the success keys the pattern asks for"},
        "variants": {
            "syncs-key-in-error": {
                "why": ("`{sync}` answers `{path}` when `{action}` returns `{keys}`, but `{action}` also returns "
                        "`{keys}` beside `error` when it fails: this success sync fires on that failure too, so the "
                        "client may be told it succeeded (and the error sync answers as well)."),
                "fix": ("Do not return the success keys together with `error` in `{action}`, or match a key only "
                        "success carries."),
            },
        },
    },
    "F16": {
        "facts": {"loc": "file:line of the query", "sync": "the sync that uses it first"},
        "variants": {
            "syncs-query-throws": {
                "why": ("`{sync}` checks the session with `{action}` ({loc}), which throws for an unknown session "
                        "instead of returning `[]` or `[{{ error }}]`: every request with a bad session fails with a "
                        "500 and no sync can answer it."),
                "fix": "Make the query return `[]` (or `[{{ error }}]`) for an unknown session instead of throwing.",
            },
        },
    },
    "UNBOUND": {
        "facts": {},
        "variants": {
            "syncs-one-branch": {
                "why": ("`{sync}`'s `where` binds `{name}` on one branch but hands some frames back unchanged: on that "
                        "branch `{name}` is unbound and `{action}` in `then` throws `Missing binding: Symbol({name})` "
                        "(500), so a sync meant to answer that case never gets its turn."),
                "fix": ("Drop the frames without `{name}` (`.filter(($) => $[{name}] !== undefined)`) and answer them "
                        "from their own sync."),
            },
        },
    },
    "F2": {
        "facts": {"sync": "the sync's name", "action": "Concept._query", "missing": "the keys the rows lack",
                  "method": "the query's name", "loc": "file:line of the query", "has": "the keys the rows carry",
                  "first": "a key to use", "fields": "the documents' declared fields"},
        "variants": {
            "syncs-keys": {
                "why": ("`{sync}` asks `{action}` for `{missing}`, but its rows ({loc}) only carry `{has}`: "
                        "`frames.query` binds a variable only for rows that have the key, so it stays unbound (a "
                        "`then` using it throws `Missing binding`; a filter on it drops the frame)."),
                "fix": "Use the key the rows have in the output pattern (`{{ {first}: … }}`), or change `{method}`.",
            },
            "syncs-doc-keys": {
                "why": ("`{sync}` asks `{action}` for `{missing}`, but `{method}` ({loc}) returns raw documents whose "
                        "declared fields are `{fields}`: `frames.query` binds a variable only for rows that have the "
                        "key, so it stays unbound."),
                "fix": "Wrap the rows (`docs.map((d) => ({{ {first}: d }}))`) or ask for a field the documents have.",
            },
            "syncs-raw": {
                "why": ("`{sync}` asks `{action}` for `{missing}`, but `{method}` ({loc}) returns raw database "
                        "documents; unless the documents have a field with that name the variable stays unbound. "
                        "(The kit cannot see the documents' fields, so this is not verified.)"),
                "fix": ("Wrap the rows: `docs.map((d) => ({{ {first}: d }}))`, or ask for the field the documents "
                        "have."),
            },
        },
    },
    "F4": {
        "facts": {"sync": "the sync's name", "name": "the variable", "action": "the session query",
                  "step": "the step that needs it", "error": "the error it throws", "via": "query or queryAsync"},
        "variants": {
            "syncs-never-bound": {
                "why": ("`{sync}` passes `{name}` to `frames.{via}({action}, …)`, but no `when` pattern and no earlier "
                        "step binds `{name}`, so the query throws `Binding: Symbol({name}) not found in frame` on "
                        "every request (500)."),
                "fix": "Bind `{name}` first: add it to the `when` pattern (the request's keys) or to an earlier query's output.",
            },
            "syncs-error-rows": {
                "why": ("`{sync}` takes `{name}` from `{action}`, which answers an unknown session with `[{{ error }}]`: "
                        "the frame survives with `{name}` unbound and {step} throws {error}, so a bad session gets a "
                        "500 instead of an error answer."),
                "fix": ("Keep only frames with the binding right after the query: `frames.filter(($) => $[{name}] !== "
                        "undefined)`, and answer the invalid-session case in its own sync."),
            },
        },
    },
    "F9": {
        "facts": {"sync": "the sync's name", "action": "Concept._query", "via": "query or queryAsync",
                  "method": "the query's name", "loc": "file:line of the query"},
        "variants": {
            "syncs-object": {
                "why": ("`{sync}` calls `{action}` with `frames.{via}`, but `{method}` ({loc}) returns a single object, "
                        "not an array: `frames.query` iterates the result and throws "
                        "`functionOutputArray is not iterable`."),
                "fix": "Make `{method}` return an array of objects (`[{{ … }}]`, `[]` when nothing is found).",
            },
        },
    },
    "F13": {
        "facts": {"note": "a note on what could not be verified, or ''"},
        "variants": {
            "syncs-inverted": {
                "why": ("`{sync}` answers the invalid-session case when `{action}` leaves no frames, but for an unknown "
                        "session the query returns `[{{ error }}]`, which keeps the frame: the length test never "
                        "succeeds, this sync never fires and those requests time out.{note}"),
                "fix": ("Test the binding instead of the length: keep the frames where the user is missing "
                        "(`frames.filter(($) => $[user] === undefined)`), or match on the query's `error`."),
            },
        },
    },
    "F15": {
        "facts": {"sync": "the sync's name", "path": "the request path", "route": "the passthrough route",
                  "listed": "where passthrough.ts lists it", "file": "passthrough.ts"},
        "variants": {
            "syncs-shadowed": {
                "why": ("`{sync}` listens on `{path}`, but `{route}` is also a passthrough route ({listed}); "
                        "passthrough routes are registered before the Requesting catch-all, so the concept method "
                        "answers directly and this sync never fires."),
                "fix": "Add `\"{route}\"` to `exclusions` in `{file}` (and remove it from `inclusions`).",
            },
        },
    },
}



# Named parts of MORE_VARIANTS, spread into the matching entries of the 2025 table.
APP_F12_FACTS = MORE_VARIANTS["F12"]["facts"]
APP_F12_VARIANTS = MORE_VARIANTS["F12"]["variants"]
APP_F16_FACTS = MORE_VARIANTS["F16"]["facts"]
APP_F16_VARIANTS = MORE_VARIANTS["F16"]["variants"]
APP_UNBOUND_FACTS = MORE_VARIANTS["UNBOUND"]["facts"]
APP_UNBOUND_VARIANTS = MORE_VARIANTS["UNBOUND"]["variants"]
APP_F2_FACTS = MORE_VARIANTS["F2"]["facts"]
APP_F2_VARIANTS = MORE_VARIANTS["F2"]["variants"]
APP_F4_FACTS = MORE_VARIANTS["F4"]["facts"]
APP_F4_VARIANTS = MORE_VARIANTS["F4"]["variants"]
APP_F9_FACTS = MORE_VARIANTS["F9"]["facts"]
APP_F9_VARIANTS = MORE_VARIANTS["F9"]["variants"]
APP_F13_FACTS = MORE_VARIANTS["F13"]["facts"]
APP_F13_VARIANTS = MORE_VARIANTS["F13"]["variants"]
APP_F15_FACTS = MORE_VARIANTS["F15"]["facts"]
APP_F15_VARIANTS = MORE_VARIANTS["F15"]["variants"]

#: Whole-app checks added after CASCADE-LOOP and WHERE-THREW were published (kept at the table's end).
LATER_MODES = {
    "ACTION-THROWS": {
        "title": "a request's action throws instead of returning `{error}`", "tag": "ENGINE", "generation": "2025",
        "facts": {"sync": "the sync's name", "path": "the request path", "action": "Concept.method",
                  "loc": "file:line of the method"},
        "variants": {
            "syncs": {
                "why": ("`{sync}` runs `{action}` for `{path}`, but `{action}` ({loc}) signals failure with `throw`, "
                        "never `{{ error }}`: the exception runs back up through the request's synchronization, no "
                        "sync can answer it, and the handler answers 500 `An internal server error occurred.` — the "
                        "client never sees the reason (it is only in the server's log)."),
                "fix": ("Make `{action}` return `{{ error: \"…\" }}` instead of throwing (catch what the database or a "
                        "library throws), and add a sync answering `[{action}, {{}}, {{ error }}]` with `error`."),
            },
        },
    },
}
