"""Ids as the course template makes them: ``freshID()`` is a lower-case canonical UUIDv7 string.

The first 48 bits of a v7 id are its creation time in Unix milliseconds, so any concept id can be
dated (``uuid7_time``). Engine-internal ids (flow tokens, action ids) are UUID v4, as in the engine.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import threading
import time
from typing import Any

UUID7_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)

_lock = threading.Lock()
# The last id's millisecond and 12-bit counter, guarded by ``_lock``. Module globals rather than a
# dict: freshID runs for every request and session, and each dict item read or written is a look-up.
_last_ms = 0
_last_seq = 0

# Random bytes for ids come from the OS in blocks: every ``os.urandom`` call is a system call that
# releases the GIL, and with many request threads each release hands the interpreter to another
# thread (a 1,000-thread login burst spent most of its time switching). Guarded by ``_lock``.
_POOL_BYTES = 4096
_pool = b""
_pool_at = 0
_from_bytes = int.from_bytes
_time_ns = time.time_ns


def _random_int(n_bytes: int) -> int:
    """``n_bytes`` fresh random bytes from the OS, as an int; call with ``_lock`` held."""
    global _pool, _pool_at
    at = _pool_at
    if at + n_bytes > len(_pool):
        _pool, at = os.urandom(_POOL_BYTES), 0
    _pool_at = at + n_bytes
    return _from_bytes(_pool[at:at + n_bytes], "big")


def _forget_pool() -> None:
    # A forked child must not hand out the parent's remaining bytes (the same ids twice).
    global _pool, _pool_at
    _pool, _pool_at = b"", 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def freshID() -> str:  # noqa: N802 - the template's name
    """A fresh UUIDv7 (RFC 9562), monotonic within this process, as a lower-case string."""
    global _last_ms, _last_seq, _pool, _pool_at
    with _lock:
        ms = _time_ns() // 1_000_000
        if ms <= _last_ms:
            # Same millisecond (or clock went back): keep ids sortable by bumping a 12-bit counter.
            ms = _last_ms
            seq = _last_seq + 1
            if seq > 0xFFF:
                ms += 1
                seq = 0
        else:
            seq = _random_int(2) & 0x3FF
        _last_ms, _last_seq = ms, seq
        at = _pool_at  # _random_int(8), written out: every id takes these 8 bytes
        if at + 8 > len(_pool):
            _pool, at = os.urandom(_POOL_BYTES), 0
        _pool_at = at + 8
        rand = _from_bytes(_pool[at:at + 8], "big")
    # The 128 bits ms(48) | 7(4) seq(12) | 0b10(2) rand(62), written group by group: what
    # str(uuid.UUID(int=value)) gives, without the UUID object or slicing one 32-digit string
    # (%-formatting measured cheaper here than both, and than an f-string with format specs).
    # ``rand >> 50`` keeps 14 of its 64 random bits above the variant, the low 48 bits the rest.
    return "%08x-%04x-%04x-%04x-%012x" % (ms >> 16, ms & 0xFFFF, 0x7000 | seq,  # noqa: UP031
                                          0x8000 | (rand >> 50), rand & 0xFFFFFFFFFFFF)


def random_v4() -> str:
    """Engine-internal ids (flow tokens, action ids), like ``crypto.randomUUID()``.

    Formatted by hand from 128 random bits (several times faster than ``str(uuid.uuid4())``):
    these ids only need to be unique, and the engine makes several per action.
    """
    # The 16 bytes in hex with a dash every 2 bytes (8 groups of 4 digits), then the first and the
    # last two dashes dropped: 8-4-4-4-12, the same text as slicing the 32 digits five times, in
    # ~6.8k instructions instead of ~8.5k (each str slice is a slice object and a new string).
    s = ((_rand(128) & _V4_CLEAR) | _V4_SET).to_bytes(16, "big").hex("-", 2)
    return "".join(s.rsplit("-", 2)).replace("-", "", 1)


_rand = random.getrandbits
_V4_CLEAR = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_V4_SET = (0x4 << 76) | (0x2 << 62)


def is_uuid7(value: Any) -> bool:
    return isinstance(value, str) and bool(UUID7_RE.match(value))


def uuid7_time(value: Any) -> dt.datetime | None:
    """Creation time (UTC) encoded in a UUIDv7 string, or ``None`` if it is not one."""
    if not is_uuid7(value):
        return None
    ms = int(value.replace("-", "")[:12], 16)
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def id_type(value: Any) -> str:
    """What kind of id a stored value is: ``uuid7``, ``uuid``, ``ObjectId``, ``string``, or a type name."""
    if is_uuid7(value):
        return "uuid7"
    if isinstance(value, str):
        return "uuid" if UUID_RE.match(value) else "string"
    return type(value).__name__


def bad_id_error(name: str, value: Any) -> str | None:
    """``None`` if ``value`` is usable as an id; otherwise the message to return as ``{error}``.

    Ids must be strings: a dict such as ``{"$ne": None}`` would become a query operator and match
    any document (NoSQL injection), so it must never reach a query.
    """
    if isinstance(value, str):
        if not value:
            return f"Invalid {name}: an empty string is not an id."
        if len(value) > 1024:
            return f"Invalid {name}: an id of {len(value)} characters is not an id (at most 1024)."
        return None
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return (
        f"Invalid {name}: expected a string id, got {type(value).__name__} {shown}. "
        f"Ids are strings (UUIDv7); a dict like {{'$ne': None}} would be a query operator."
    )
