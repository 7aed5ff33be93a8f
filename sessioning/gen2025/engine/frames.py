"""Frames: the list of variable bindings a sync carries from ``when`` through ``where`` to ``then``.

A frame is a ``dict`` keyed by :class:`Var` (the engine reads only ``Var`` keys, so a frame built
with string keys binds nothing — failure mode F6). ``Frames`` is a ``list`` whose list-returning
methods give ``Frames`` again, with the engine's ``query``, ``queryAsync`` and ``collectAs``.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterable
from types import MethodType
from typing import Any

from sessioning.record import concept_name

from .errors import BindingNotFound, NotIterable
from .vars import Var

Frame = dict

#: The evaluation recorder of the ``where`` that is running (set by the engine).
current_where: contextvars.ContextVar[Any] = contextvars.ContextVar("sessioning_where", default=None)
_where_get = current_where.get


#: A method's name per (function, class of its concept): a query in ``where`` is a new bound
#: method on every call, and asking it for a ``label`` it lacks raises and clears an error each time.
_method_names: dict[tuple[Any, type], str] = {}


def _fn_name(fn: Any) -> str:
    if type(fn) is MethodType:
        key = (fn.__func__, type(fn.__self__))
        name = _method_names.get(key)
        if name is None:
            name = _method_names[key] = _name_of(fn)
        return name
    return _name_of(fn)


def _name_of(fn: Any) -> str:
    label = getattr(fn, "label", None)
    if label:
        return label
    name = getattr(fn, "__name__", None) or repr(fn)
    owner = getattr(fn, "__self__", None)
    if owner is not None:
        return f"{concept_name(owner)}.{name}"
    return name


class Frames(list):
    """A list of frames. ``filter``/``map``/slices return ``Frames``; ``Array.from`` is ``list(frames)``."""

    def __init__(self, *frames: Any) -> None:
        if len(frames) == 1 and type(frames[0]) is list:  # the engine's own case: no ABC test
            super().__init__(frames[0])
        elif len(frames) == 1 and not isinstance(frames[0], dict) and isinstance(frames[0], Iterable):
            super().__init__(frames[0])
        else:
            super().__init__(frames)

    def __repr__(self) -> str:
        return f"Frames({len(self)}) {list.__repr__(self)}"

    def __getitem__(self, item: Any) -> Any:
        result = list.__getitem__(self, item)
        return Frames(result) if isinstance(item, slice) else result

    def __add__(self, other: Any) -> Frames:
        return Frames(list(self) + list(other))

    # -- JavaScript Array methods the syncs use -------------------------------------------------
    def filter(self, predicate: Callable[[Frame], Any]) -> Frames:
        out = Frames(f for f in self if predicate(f))
        _record("filter", getattr(predicate, "__name__", "predicate"), self, out)
        return out

    def map(self, fn: Callable[[Frame], Any]) -> Frames:
        out = Frames(fn(f) for f in self)
        _record("map", getattr(fn, "__name__", "fn"), self, out)
        return out

    def flatMap(self, fn: Callable[[Frame], Iterable]) -> Frames:  # noqa: N802
        out = Frames(x for f in self for x in fn(f))
        _record("flatMap", getattr(fn, "__name__", "fn"), self, out)
        return out

    def concat(self, *others: Iterable) -> Frames:
        out = Frames(self)
        for other in others:
            out.extend(other)
        return out

    def slice(self, start: int = 0, end: int | None = None) -> Frames:
        return self[start:end]

    @property
    def length(self) -> int:
        return len(self)

    # -- the engine's own methods ------------------------------------------------------------------
    def query(self, fn: Callable[..., Any], input: dict[str, Any], output: dict[str, Var]) -> Frames:  # noqa: A002
        """Call ``fn`` once per frame with ``input`` resolved; one new frame per returned row.

        An output variable is bound only if the row has its key: ``[]`` drops the frame, while
        ``[{"error": …}]`` keeps it with the variable unbound (the seed's ``_getUser`` on a miss).
        """
        if not isinstance(input, dict) or not isinstance(output, dict):
            raise TypeError("frames.query(fn, input, output): input and output must be dicts")
        result = _new_list(Frames)
        # The sample rows and unbound counts are for the recorder only: with no `where` being
        # recorded (recording off, or a query outside `where`) they are not gathered at all.
        rec = _where_get()
        rows_seen: list[Any] | None = None if rec is None else []
        unbound: dict[str, int] | None = None if rec is None else {}
        try:
            for frame in self:
                bound_input = {}
                for key, value in input.items():
                    if isinstance(value, Var):
                        if value not in frame:
                            raise BindingNotFound(value, frame, fn=_fn_name(fn), key=key)
                        bound_input[key] = frame[value]
                    else:
                        bound_input[key] = value
                rows = fn(**bound_input)
                if type(rows) is not list and (rows is None or isinstance(rows, (dict, int, float, bool))
                                               or not isinstance(rows, Iterable)):
                    raise NotIterable("functionOutputArray is not iterable", fn=_fn_name(fn), value=rows)
                for row in rows:
                    is_dict = isinstance(row, dict)
                    if rows_seen is not None and len(rows_seen) < 5:
                        rows_seen.append(dict(row) if is_dict else row)
                    new = dict(frame)
                    for out_key, var in output.items():
                        if is_dict and out_key in row:
                            new[var] = row[out_key]
                        elif unbound is not None:
                            unbound[var.name] = unbound.get(var.name, 0) + 1
                    result.append(new)
        except (BindingNotFound, NotIterable) as e:
            if rec is not None:
                rec.query_step(_fn_name(fn), input, output, self, result, rows_seen, unbound, error=e.original)
            raise
        if rec is not None:
            rec.query_step(_fn_name(fn), input, output, self, result, rows_seen, unbound)
        return result

    # Python's calls are sequential, so both keep frame order (the engine's async query may not).
    queryAsync = query  # noqa: N815

    def collectAs(self, collect: list[Var], as_: Var) -> Frames:  # noqa: N802
        """Group frames by all other variables; each group becomes one frame with ``as_`` = list of records."""
        collect_set = set(collect)
        groups: dict[str, tuple[Frame, list]] = {}
        for frame in self:
            rest = {k: v for k, v in frame.items() if isinstance(k, Var) and k not in collect_set}
            key = json.dumps(sorted((str(k), repr(v)) for k, v in rest.items()))
            if key not in groups:
                groups[key] = (rest, [])
            groups[key][1].append({v.name: frame.get(v) for v in collect if v in frame})
        out = Frames()
        for rest, records in groups.values():
            new = dict(rest)
            new[as_] = records
            out.append(new)
        _record("collectAs", f"collectAs([{', '.join(v.name for v in collect)}], {as_.name})", self, out)
        return out


_new_list = list.__new__
_extend_list = list.extend


def frames_from(frames: list) -> Frames:
    """``Frames(frames)`` for a plain list, without running ``Frames.__init__`` (the engine's hot path)."""
    out = _new_list(Frames)
    if frames:
        _extend_list(out, frames)
    return out


def _record(kind: str, name: str, before: list, after: list) -> None:
    rec = current_where.get()
    if rec is not None:
        rec.simple_step(kind, name, before, after)
