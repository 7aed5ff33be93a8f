"""Data: the causes of a failing request in a 2026 app (``@mit-sdg/sync-engine`` 1.1.0), named as
the ``cause`` field of the 2026 findings (issue 13), with their why/fix texts.

Pure data, read only through :mod:`sessioning.failure_modes`. Written from
``sync-engine-2026.md`` §2.3–2.5 and §6.2; the ``gen2026`` readers refine them as they record
real evidence. Templates are ``str.format`` strings (a literal brace is doubled).
"""

_LATE_500 = "the client got 500 `{{\"error\":\"INTERNAL_ERROR\"}}` after about 30 s, with no log line"
_NOW_500 = "the client got 500 `{{\"error\":\"INTERNAL_ERROR\"}}` at once"

PHRASES: dict[str, str] = {}

MODES = {
    "refusal-unmapped": {
        "title": "refusal not in `publicErrors` → 500 at once, no log line", "tag": "REFUSAL", "generation": "2026",
        "facts": {"endpoint": "the endpoint's path", "action": "the action that refused", "refusal": "the refusal code"},
        "variants": {"default": {
            "why": ("`{action}` refused `{refusal}`, a registered refusal, but `{refusal}` is not in "
                    "`httpPolicy({{ publicErrors }})`, so the HTTP layer hides it and " + _NOW_500
                    + " on `{endpoint}`; nothing is logged and `rawFaultReporter` is not called for refusals."),
            "fix": ("Map the code to the category the client should see: `httpPolicy({{ publicErrors: "
                    "{{ {refusal}: \"UNAUTHORIZED\" }} }})` (or `CONFLICT`, `NOT_FOUND`, …)."),
        }},
    },
    "uncovered-case-timeout": {
        "title": "a `where` line dropped the case and nothing answered → 500 after 30 s", "tag": "MATCH",
        "generation": "2026",
        "facts": {"endpoint": "the endpoint's path", "reaction": "the reaction that dropped the case",
                  "line": "the read line that dropped it"},
        "variants": {"default": {
            "why": ("`{reaction}` dropped the case at `{line}` (a plain read line that finds no matching row drops the "
                    "case silently) and no complementary branch answers it, so no reaction answered `{endpoint}`: the "
                    "engine timed out (`TIMED_OUT`) and " + _LATE_500 + "."),
            "fix": ("Add a complementary branch for that case: a reaction whose `where` has `no(...)` of the line and "
                    "answers a declared error (e.g. `UNAUTHORIZED` for an unknown or expired session). "
                    "`sync-engine check --show-advisories` lists such endpoints as MISSING_ENDPOINT_FALLBACK."),
        }},
    },
    "action-fault": {
        "title": "an action threw something that is not a registered refusal", "tag": "FAULT", "generation": "2026",
        "facts": {"endpoint": "the endpoint's path", "action": "the action that faulted",
                  "error_class": "the thrown value's class name"},
        "variants": {"default": {
            "why": ("`{action}` threw `{error_class}`, which is not a registered refusal, so the engine recorded a fault "
                    "and " + _NOW_500 + " on `{endpoint}`. The log line `Consequence action faulted` carries only the "
                    "class name; the message goes to `rawFaultReporter`. Earlier actions of the chain stay committed."),
            "fix": ("Read the `rawFaultReporter` block on stderr for the message and stack. If the failure is expected, "
                    "throw a registered refusal instead (declared with `refuses` and mapped in `publicErrors`); "
                    "otherwise fix the bug."),
        }},
    },
    "query-cardinality": {
        "title": "a query answered outside its promise (`QueryAnswerFault`)", "tag": "QUERY", "generation": "2026",
        "facts": {"reaction": "the reaction whose `where` read it", "query": "the query",
                  "promise": "its declared promise (one, optional, many)", "rows": "how many rows it answered"},
        "variants": {"default": {
            "why": ("In `{reaction}`, `{query}` promises \"{promise}\" and answered {rows} rows: the engine faults with "
                    "`QueryAnswerFault` (`where condition evaluation failed`) and " + _NOW_500 + "."),
            "fix": ("Make `{query}` answer within its promise, or declare the promise it really keeps (`one`, "
                    "`optional` or `many`) in the concept's spec."),
        }},
    },
    "query-throws": {
        "title": "a query or view threw inside `where`", "tag": "QUERY", "generation": "2026",
        "facts": {"reaction": "the reaction", "error_class": "the thrown value's class name"},
        "variants": {"default": {
            "why": ("A query or view in the `where` of `{reaction}` threw `{error_class}` (`Reaction \"{reaction}\": "
                    "where condition evaluation failed`), so " + _NOW_500 + "."),
            "fix": ("Read the `rawFaultReporter` block (kind `interpreter`, stage `where`) for the message, and make "
                    "the query return rows instead of throwing."),
        }},
    },
    "partial-commit": {
        "title": "earlier actions of a chain committed, a later one failed", "tag": "DB", "generation": "2026",
        "facts": {"endpoint": "the endpoint's path", "committed": "the actions that returned and committed",
                  "failed": "the action that refused or faulted", "outcome": "'refused CODE' or 'faulted'"},
        "variants": {"default": {
            "why": ("In `{endpoint}`, {committed} returned and stayed committed, then `{failed}` {outcome}. A chain has "
                    "no rollback, so the database keeps the effects of a request the client saw fail, and a retry can "
                    "refuse (e.g. `USERNAME_TAKEN`)."),
            "fix": ("Make the chain safe to fail: check before acting (a `where` line that refuses early), order the "
                    "stages so the one that can fail runs first, or answer the failure with a branch that completes "
                    "or undoes the earlier effect."),
        }},
    },
    "startup-unbound": {
        "title": "a stage uses a name before it is bound (startup)", "tag": "STARTUP", "generation": "2026",
        "facts": {"message": "the engine's message", "names": "the names used too early"},
        "variants": {"default": {
            "why": ("The app does not start (and `sync-engine check` fails): `{message}` A stage uses {names} before an "
                    "earlier stage's action returned it — siblings of one `then` cannot see each other's outputs "
                    "(the 2025 F1 bug, now caught at registration)."),
            "fix": ("Chain the stages: `.then(Sessioning.start({{ … }}).responds({{ session, expiresAt }}))"
                    ".then(respond({{ … }}))`, so the later stage reads what the earlier one returned."),
        }},
    },
    "startup-unordered": {
        "title": "`where` conditions cannot be ordered (startup)", "tag": "STARTUP", "generation": "2026",
        "facts": {"message": "the engine's message", "names": "the names no line binds"},
        "variants": {"default": {
            "why": ("The app does not start (and `sync-engine check` fails): `{message}` A read line needs {names}, "
                    "which neither the trigger nor another line binds (the 2025 F4 bug, now caught at registration)."),
            "fix": ("Bind {names} first: from the trigger's input or `.responds({{ … }})`, or from another read line's "
                    "`.is({{ … }})`."),
        }},
    },
    "error-returned-not-thrown": {
        "title": "an action returns `{error}` instead of throwing a refusal", "tag": "REFUSAL", "generation": "2026",
        "facts": {"action": "the action", "endpoint": "the endpoint's path"},
        "variants": {"default": {
            "why": ("`{action}` returns an object with `error` instead of throwing a registered refusal. To the 2026 "
                    "engine a top-level `error` field is a success, so the chain goes on with missing keys, a read "
                    "line drops the case, nothing answers `{endpoint}`, and " + _LATE_500 + "."),
            "fix": ("Throw a registered refusal class instead of returning `{{ error: … }}` (declare it in the spec with "
                    "`refuses`), and map its code in `publicErrors`."),
        }},
    },
    "invalid-input": {
        "title": "request body lacks a required key (400)", "tag": "HTTP", "generation": "2026",
        "facts": {"endpoint": "the endpoint's path", "missing": "the missing keys"},
        "variants": {"default": {
            "why": ("`{endpoint}` answered 400 `{{\"error\":\"INVALID_REQUEST\"}}` at once: the body lacks {missing}, "
                    "which the endpoint requires, so the request was refused (`INVALID_INPUT`) before anything was "
                    "recorded. A GET instead of a POST, or a body that is not JSON, answers the same."),
            "fix": ("Send {missing} in a JSON body with POST; an endpoint requires the keys every `receive(...)` "
                    "pattern names, or its `input.required`."),
        }},
    },
    "unknown-path": {
        "title": "no endpoint has this path (404)", "tag": "HTTP", "generation": "2026",
        "facts": {"path": "the requested path"},
        "variants": {"default": {
            "why": ("`{path}` answered 404 `{{\"error\":\"NOT_FOUND\"}}` at once (`Unknown endpoint: {path}`): no "
                    "endpoint has this path — a typo, a different case, or the base path twice (`/api/api`)."),
            "fix": "Call the path exactly as the endpoint declares it, under `basePath` (see `generated/wire.ts`).",
        }},
    },
    "forbidden-origin": {
        "title": "request from an origin other than `publicOrigin` (403)", "tag": "HTTP", "generation": "2026",
        "facts": {"path": "the requested path", "origin": "the request's Origin", "public_origin": "the app's publicOrigin"},
        "variants": {"default": {
            "why": ("`{path}` answered 403 `{{\"error\":\"FORBIDDEN\"}}`: requests that sign in, sign out or need a "
                    "session are refused unless the page that sent them is at `publicOrigin` ({public_origin}), and "
                    "this one came from {origin}. `localhost` and `127.0.0.1` count as different addresses."),
            "fix": ("Set `PUBLIC_ORIGIN` to the exact address the page is served from (scheme and host, no trailing "
                    "slash), or open the page at that address."),
        }},
    },
    "double-answer": {
        "title": "two reactions answered one request", "tag": "MATCH", "generation": "2026",
        "facts": {"reaction": "the reaction that answered late", "path": "the request's path"},
        "variants": {"default": {
            "why": ("`{reaction}` answered a request on `{path}` after it stopped pending: two paths answered one "
                    "request, the client kept the first answer and the second `respond` was refused `NOT_PENDING`. "
                    "Registration order never decides which one wins."),
            "fix": "Partition the conditions of the reactions that can answer the same request, so exactly one answers each case.",
        }},
    },
    "refusal-mapped": {
        "title": "a refusal answered as designed", "tag": "INFO", "generation": "2026",
        "facts": {"endpoint": "the endpoint's path", "refusal": "the refusal code", "status": "the HTTP status",
                  "category": "the public category", "reaction": "the reaction whose branch answered the error"},
        "variants": {"default": {
            "why": ("`{endpoint}` answered {status} `{{\"error\":\"{category}\"}}`: the action refused `{refusal}`, "
                    "which `publicErrors` maps to {category} — working as designed."),
            "fix": "Nothing to fix on the server; make the client show this answer.",
        }, "branch": {
            "why": ("`{endpoint}` answered {status} `{{\"error\":\"{category}\"}}`: the branch `{reaction}` answered "
                    "`{refusal}` (for a session nobody holds, an unknown user, …), which `publicErrors` maps to "
                    "{category} — working as designed."),
            "fix": "Nothing to fix on the server; make the client show this answer (e.g. send the user to sign in).",
        }},
    },
}
