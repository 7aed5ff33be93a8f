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
_acquire, _release = _lock.acquire, _lock.release
# The last id's millisecond and 12-bit counter, guarded by ``_lock``. Module globals rather than a
# dict: freshID runs for every request and session, and each dict item read or written is a look-up.
_last_ms = 0
_last_seq = 0
# The text of the last millisecond's first two groups and the version digit ("0190f3a2-1b2c-7"):
# ids made in the same millisecond share it, so it is formatted once per millisecond.
_last_head = ""

_time_ns = time.time_ns

# Ids are written a block at a time, the random digits of 256 ids in a few C calls (``_v4_block``),
# then handed out one by one: a pop from a list, where writing one id alone costs a random number,
# big-int arithmetic and several string steps (3 times the time of a v4 id here, twice a v7's).
# Each ``list.pop`` and ``list.extend`` is atomic under the GIL, so threads need no lock to share
# them. The v7 ids' random bits come from ``os.urandom``, a system call that releases the GIL: with
# many request threads every release hands the interpreter to another, so it is called rarely.
_BLOCK = 256
_V7_BLOCK = 1024  # one system call (it releases the GIL) per 1,024 concept ids; 70 KB of text
_VERSION_4 = bytes((b & 0x0F) | 0x40 for b in range(256))  # byte 6: version 4 in its high nibble
_VARIANT = bytes((b & 0x3F) | 0x80 for b in range(256))  # byte 8: the RFC 9562 variant, 0b10
_v4_ids: list[str] = []  # random_v4's block, handed out from the end
_v7_tails: list[str] = []  # freshID's random tails ("-8abc-0123456789ab"), from OS randomness


def _v4_block(random_bytes: bytes) -> list[str]:
    """``len(random_bytes) // 16`` UUID v4 texts, lower-case and canonical, one per 16 bytes."""
    raw = bytearray(random_bytes)
    raw[6::16] = raw[6::16].translate(_VERSION_4)
    raw[8::16] = raw[8::16].translate(_VARIANT)
    # All the ids' digits at once in groups of 4 with a dash after each, 40 characters an id:
    # "aaaa-aaaa-bbbb-cccc-dddd-eeee-eeee-eeee-". Dropping three of its dashes (the last first, so
    # that the earlier positions hold) leaves 8-4-4-4-12 and one dash between ids, made a space.
    text = bytearray(raw.hex("-", 2).encode("ascii"))
    text.append(45)  # "-": the last id's separator, like every other id's
    del text[34::40]
    del text[29::39]
    del text[4::38]
    text[36::37] = b" " * (len(raw) // 16)
    return text.decode("ascii").split()


def _forget_pool() -> None:
    # A forked child must not hand out the parent's remaining ids or random tails (the same ids twice).
    _v4_ids.clear()
    _v7_tails.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def freshID() -> str:  # noqa: N802 - the template's name
    """A fresh UUIDv7 (RFC 9562), monotonic within this process, as a lower-case string.

    The 128 bits are ms(48) | 7(4) seq(12) | 0b10(2) rand(62): the creation millisecond, a counter
    that keeps ids made in one millisecond in order (it starts at a random value below 1,024 in
    each new millisecond), and 62 random bits from the OS (``os.urandom``: session ids are secrets).
    """
    global _last_ms, _last_seq, _last_head
    try:
        tail = _v7_tails.pop()
    except IndexError:
        # A v4 id's last 18 characters are exactly a v7 tail: "-", the variant digit and 62 random
        # bits ("-vxxx-xxxxxxxxxxxx").
        _v7_tails.extend([t[18:] for t in _v4_block(os.urandom(16 * _V7_BLOCK))])
        tail = _v7_tails.pop()
    _acquire()  # the lock's own methods, not `with`: a third of the cost, the same guarantee
    try:
        ms = _time_ns() // 1_000_000
        if ms <= _last_ms:
            # Same millisecond (or clock went back): keep ids sortable by bumping a 12-bit counter.
            ms, seq, head = _last_ms, _last_seq + 1, _last_head
            if seq > 0xFFF:
                ms += 1
                seq = 0
                head = _last_head = _head(ms)
        else:
            # The counter starts anywhere below 1,024: it only spreads ids, it guards nothing, so
            # the bits come from `random` (no system call) and the id's own 62 from the OS.
            seq = _getrandbits(10)
            head = _last_head = _head(ms)
        _last_ms, _last_seq = ms, seq
    finally:
        _release()
    return "%s%03x%s" % (head, seq, tail)  # noqa: UP031 - measured cheaper than an f-string here


def _head(ms: int) -> str:
    """A v7 id's first two groups and its version digit for millisecond ``ms`` ("0190f3a2-1b2c-7")."""
    return "%08x-%04x-7" % (ms >> 16, ms & 0xFFFF)  # noqa: UP031


def random_v4() -> str:
    """Engine-internal ids (flow tokens, action ids), like ``crypto.randomUUID()``.

    Random bits from ``random`` (these ids only need to be unique; the engine makes several per
    action), written a block at a time (``_v4_block``).
    """
    try:
        return _v4_ids.pop()
    except IndexError:
        _v4_ids.extend(_v4_block(_randbytes(16 * _BLOCK)))
        return _v4_ids.pop()


_randbytes = random.randbytes
_getrandbits = random.getrandbits


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
