"""Replaying a recorded run through an engine (the run's data model is :mod:`sessioning.record`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sessioning.record import ActionEntry, Run, concept_name


def replay(run: Run, engine: Any, *, on_flow: Callable[[ActionEntry, Any], None] | None = None) -> list[Any]:
    """Re-issue each recorded outside call of ``run`` through ``engine`` (a fresh one, usually).

    Requests (root ``Requesting.request`` actions) go through ``engine.request`` with the recorded
    input; other root actions are called on the engine's instrumented concept of that name.
    Masked values in an exported run replay as the masked text. Returns the new responses/outputs.
    """
    results = []
    concepts = {concept_name(c.concept): c for c in engine.concepts}
    for log in list(run.flows.values()):
        roots = [a for a in log.actions if not a.depth and not a.called_from]
        for root in roots[:1]:
            if root.is_request:
                body = dict(root.input or {})
                path = body.pop("path", "/")
                result = engine.request(path, body)
            else:
                concept = concepts.get(root.concept)
                if concept is None:
                    raise ValueError(f"cannot replay {root.label}: that concept is not instrumented in this engine")
                result = getattr(concept, root.action)(**(root.input or {}))
            results.append(result)
            if on_flow is not None:
                on_flow(root, result)
    return results


__all__ = ["replay"]
