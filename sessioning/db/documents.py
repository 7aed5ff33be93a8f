"""Documents on their way into the embedded database: mongomock's validation and stored form, fast.

mongomock checks every document it stores (key types, NUL bytes, top-level ``$`` names, then a
full ``BSON.encode`` whose bytes it throws away) and stores a converted copy (datetimes made naive
UTC and truncated to milliseconds). :func:`checked_stored_form` does both in one walk for the
plain documents concepts write: when every key and value is of a kind that BSON certainly encodes,
it returns the copy mongomock would store, and no error is possible; for anything else it returns
``None`` and the caller runs mongomock's own checks (:func:`validate_new`, ``BSON.encode``), which
raise the very error mongomock raises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bson import BSON
from bson.errors import InvalidDocument
from mongomock import helpers
from packaging import version

#: What mongomock asks pymongo on every insert and ``$set`` (it re-parses the version each time).
CHECK_KEYS = helpers.PYMONGO_VERSION < version.parse("3.6")

#: Values that the copies below keep as they are (tested inline: no call per scalar field).
KEPT = frozenset({str, int, float, bool, type(None)})
_LEAVES = frozenset({str, int, float, bool, type(None), list})
_INT64 = 1 << 63  # BSON's integers: -2**63 <= n < 2**63, larger ones raise OverflowError
_UTC = dt.UTC
_DATETIME = dt.datetime
# mongomock's conversion of a datetime is `.replace(tzinfo=None, microsecond=ms * 1000)`, a C call
# that parses its keywords and then the constructor's again (about seven times a subtraction). The
# same value by arithmetic: shift a UTC datetime onto the naive epoch and drop the microseconds past
# the millisecond by subtracting one of these (arithmetic results have fold 0, as replace's here).
_UTC_EPOCH = _DATETIME(1970, 1, 1, tzinfo=_UTC)
_NAIVE_EPOCH = _DATETIME(1970, 1, 1)
_SUB_MS = tuple(dt.timedelta(microseconds=us) for us in range(1000))


#: Values that :func:`copy_document` shares rather than copies: immutable (a datetime too).
_SHARED = KEPT | {_DATETIME}


def copy_document(value: Any) -> Any:
    """Deep copy of BSON-like data (dicts, lists, scalars), faster than copy.deepcopy."""
    if type(value) is dict:
        # The C copy, then only the values that need copying replaced: a comprehension costs a
        # function frame per dict (every find_one returns a copy).
        out = value.copy()
        for k, v in value.items():
            if type(v) not in _SHARED:
                out[k] = copy_document(v)
        return out
    if isinstance(value, dict):  # a subclass: copied into a plain dict
        return {k: v if type(v) in KEPT else copy_document(v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if type(v) in KEPT else copy_document(v) for v in value]
    return value


def stored_form(value: Any) -> Any:
    """What mongomock stores for ``value`` (``patch_datetime_awareness_in_document``), fast for plain types."""
    t = type(value)
    if t in KEPT:
        return value
    if t is dict:
        return {k: v if type(v) in KEPT else stored_form(v) for k, v in value.items()}
    if t is list:
        return [v if type(v) in KEPT else stored_form(v) for v in value]
    return helpers.patch_datetime_awareness_in_document(value)  # datetimes, tuples, subclasses: its own rules


def validate_new(data: Mapping) -> None:
    """mongomock's checks of a document to insert, in its order, with its messages."""
    if not all(isinstance(k, str) for k in data):
        raise ValueError("Document keys must be strings")
    if not CHECK_KEYS:
        _no_null_in_names(data)
        for key in data:
            if key.startswith("$"):
                raise InvalidDocument(f'Top-level field names cannot start with the "$" sign (found: {key})')
    BSON.encode(data, check_keys=CHECK_KEYS)


def _no_null_in_names(data: Mapping) -> None:
    """mongomock's ``_recursive_key_check_null_character``, with a type test before the ABC one."""
    for key, value in data.items():
        if "\0" in key:
            raise InvalidDocument(f"Field names cannot contain the null character (found: {key})")
        if type(value) is dict or (type(value) not in _LEAVES and isinstance(value, Mapping)):
            _no_null_in_names(value)


def checked_stored_form(data: dict) -> dict | None:
    """``stored_form(data)`` when a type walk proves that mongomock's checks (:func:`validate_new`) pass;
    ``None`` when it cannot (then run those checks: they raise mongomock's own error, if any).

    Accepted, as BSON encodes them without fail: ``dict`` with ASCII ``str`` keys free of NUL and of
    a leading ``$``; ``list``; ASCII ``str`` (any other string may hold a lone surrogate, which UTF-8
    refuses); ``int`` within 64 bits; ``float``; ``bool``; ``None``; naive or UTC ``datetime``. Exact
    types only: subclasses, tuples and every other type take the checking path. No ``BSON.encode``
    here: it costs a C call and a buffer per write only to be thrown away.
    """
    # This function is the walk (no separate walker under it: one Python call fewer per document), so
    # each level catches its own RecursionError: deeper than Python goes, mongomock's checks decide.
    try:
        # The C copy, then only the values whose stored form differs replaced (most are kept as they
        # are): one store per field fewer, the same keys in the same order.
        out = data.copy()
        for key, value in data.items():
            # Exact str first: a subclass could make itself equal to a known name.
            if type(key) is not str or key not in _GOOD_NAMES and not _good_name(key):
                return None
            t = type(value)
            if t is str:
                if not value.isascii():
                    return None
            elif t is int:
                if not -_INT64 <= value < _INT64:
                    return None
            elif t is dict:
                value = checked_stored_form(value)
                if value is None:
                    return None
                out[key] = value
            elif t is _DATETIME and value.tzinfo is _UTC:  # a UTC timestamp (createdAt): _walk_other's, inline
                out[key] = _NAIVE_EPOCH + (value - _UTC_EPOCH) - _SUB_MS[value.microsecond % 1000]
            elif t is not float and t is not bool and value is not None:
                value = _walk_other(value, t)
                if value is None:
                    return None
                out[key] = value
        return out
    except RecursionError:
        return None


#: Field names that passed :func:`_good_name` (documents reuse a handful of names): one set look-up
#: instead of three tests per field. Bounded, so that made-up names cannot grow it without end.
_GOOD_NAMES: set[str] = set()
_MAX_GOOD_NAMES = 10_000


def _good_name(key: str) -> bool:
    """A ``str`` field name that BSON encodes and mongomock accepts: ASCII, no NUL, no leading ``$``."""
    if "\0" in key or key[:1] == "$" or not key.isascii():
        return False
    if len(_GOOD_NAMES) < _MAX_GOOD_NAMES:
        _GOOD_NAMES.add(key)
    return True


def _walk_other(value: Any, t: type) -> Any:
    """The stored form of a list or datetime that BSON certainly encodes, else ``None``."""
    if t is list:
        out = []
        # checked_stored_form's checks per value, written out again for items: every inserted document and
        # $set passes here, and a shared per-value helper call costs more than the check itself.
        for item in value:
            kind = type(item)
            if kind is str:
                if not item.isascii():
                    return None
            elif kind is int:
                if not -_INT64 <= item < _INT64:
                    return None
            elif kind is dict:
                item = checked_stored_form(item)
                if item is None:
                    return None
            elif kind is not float and kind is not bool and item is not None:
                item = _walk_other(item, kind)
                if item is None:
                    return None
            out.append(item)
        return out
    if t is _DATETIME:
        # patch_datetime_awareness_in_document's conversion, to the same value (fold and all).
        tz = value.tzinfo
        if tz is _UTC:  # `(value - value.utcoffset()).replace(tzinfo=None, …)`: fold 0
            return _NAIVE_EPOCH + (value - _UTC_EPOCH) - _SUB_MS[value.microsecond % 1000]
        if tz is None:  # `value.replace(microsecond=…)` keeps the fold, which arithmetic resets
            if value.fold:
                return value.replace(microsecond=(value.microsecond // 1000) * 1000)
            return value - _SUB_MS[value.microsecond % 1000]
    return None
