"""The engine's errors: the course engine's message first, word for word, then what it cannot say.

``str(error)`` is the original message followed by an explanation; ``error.original`` is the
original line alone (what the user's server printed); structured facts are attributes
(``sync``, ``variable``, ``bound``, ``sources``, ``fix``, ``code``).
"""

from __future__ import annotations

from typing import Any

from sessioning.masking import mask_value

FRAME_TEXT = "[object Object]"  # `${frame}` in JavaScript


class EngineError(Exception):
    """Base of every error the sync engine raises. ``code`` is a failure-mode id (F1 …)."""

    code: str | None = None

    def __init__(self, original: str, explanation: str = "", fix: str = "", **facts: Any) -> None:
        self.original = original
        self.explanation = explanation
        self.fix = fix
        self.sync: str | None = facts.pop("sync", None)
        self.facts = facts
        for key, value in facts.items():
            setattr(self, key, value)
        super().__init__(original)

    def __str__(self) -> str:
        parts = [self.original]
        if self.explanation:
            parts.append(f"  why: {self.explanation}")
        if self.fix:
            parts.append(f"  fix: {self.fix}")
        return "\n".join(parts)

    def add_context(self, **facts: Any) -> None:
        for key, value in facts.items():
            if getattr(self, key, None) is None:
                setattr(self, key, value)


def describe_bound(frame: dict) -> dict[str, Any]:
    """The named variables of a frame with their values, secrets masked (hidden ones left out)."""
    from .vars import Var

    out = {}
    for key, value in frame.items():
        if isinstance(key, Var) and key.name != "flow" and not key.name.startswith("action_"):
            out[key.name] = mask_value(key.name, value)
    return out


class MissingBinding(EngineError):
    """``Missing binding: Symbol(x) in frame: [object Object]`` — a ``then`` input variable is unbound."""

    def __init__(self, variable: Any, frame: dict, **facts: Any) -> None:
        self.variable = variable
        self.bound = describe_bound(frame)
        super().__init__(f"Missing binding: {variable!r} in frame: {FRAME_TEXT}", **facts)


class BindingNotFound(EngineError):
    """``Binding: Symbol(x) not found in frame: [object Object]`` — a ``frames.query`` input is unbound."""

    code = "F4"

    def __init__(self, variable: Any, frame: dict, **facts: Any) -> None:
        self.variable = variable
        self.bound = describe_bound(frame)
        name = getattr(variable, "name", variable)
        super().__init__(
            f"Binding: {variable!r} not found in frame: {FRAME_TEXT}",
            explanation=(
                f"`{facts.get('fn', 'the query')}` needs `{name}` as input, but this frame has no `{name}`"
                f" (bound: {', '.join(self.bound) or 'nothing'}). Usually an earlier query returned"
                f" rows without that key — e.g. `_getUser` returns [{{error}}] for an unknown session."
            ),
            fix=f"Make sure `{name}` is bound before this query: check the previous query's output key, "
                f"or drop frames whose rows carry `error` before querying.",
            **facts,
        )


class MissingActionId(EngineError):
    code = "F5"

    def __init__(self, **facts: Any) -> None:
        super().__init__(
            "Missing actionId in `then` clause.",
            explanation="`where` returned frames that do not carry the hidden action ids of the `when` "
                        "records — frames built from scratch (`new Frames({...})`) instead of extended "
                        "from the frames it was given.",
            fix="Build each new frame from an original one: `{...frame, [x]: value}` "
                "(in Python: `{**frame, x: value}`), and return those.",
            **facts,
        )


class ActionMissing(EngineError):
    code = "F5"


class NotInstrumented(EngineError):
    """``Action bound _getX is not instrumented.`` — raised while registering (F7)."""

    code = "F7"


class WhenMissingOutput(EngineError):
    code = "F8"

    def __init__(self, **facts: Any) -> None:
        action = facts.get("action", "an action")
        super().__init__(
            f"When pattern: {FRAME_TEXT} is missing output pattern.",
            explanation=f"a `when` entry for `{action}` has no third element (output pattern). The engine "
                        "only notices when a matching record first appears, not at start-up.",
            fix=f"Write it as `[{action}, {{...}}, {{}}]` (an empty output matches every completion) "
                "or name the output keys you need.",
            **facts,
        )


class NotIterable(EngineError):
    code = "F9"

    def __init__(self, original: str, **facts: Any) -> None:
        value = facts.get("value")
        fn = facts.get("fn", "the query")
        if original.startswith("functionOutputArray"):
            explanation = (f"`{fn}` returned {type(value).__name__ if value is not None else 'null'}"
                           f" ({str(value)[:60]!r}), not a list: queries must return a list of dicts.")
            fix = f"Return a list from `{fn}`: `[{{...}}]` for one row, `[]` for none."
        else:
            explanation = "the `where` function returned nothing (a forgotten `return`), or not a list of frames."
            fix = "End `where` with `return frames` (the Frames after your queries and filters)."
        super().__init__(original, explanation=explanation, fix=fix, **facts)


class SyncDefinitionError(EngineError):
    """A sync function does not return ``{"when": …, "then": …}`` in the right shape."""
