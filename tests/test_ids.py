"""Ids: fresh UUIDv7 strings from a pooled source of OS randomness, unique across refills and forks."""

from __future__ import annotations

import os

import pytest

from sessioning import ids


def test_fresh_ids_are_v7_unique_and_sortable_across_pool_refills():
    # 4,096 pooled bytes give at most 512 ids: 3,000 ids refill the pool several times.
    made = [ids.freshID() for _ in range(3000)]
    assert all(ids.is_uuid7(i) for i in made)
    assert len(set(made)) == len(made)
    assert made == sorted(made)


def test_random_bits_of_consecutive_ids_differ():
    a, b = ids.freshID(), ids.freshID()
    assert a[-12:] != b[-12:]  # the last 48 bits are random, not a counter


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_does_not_reuse_the_parents_random_bytes():
    ids.freshID()  # the pool now holds unused bytes the child would otherwise share
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report its next id's random tail, then leave at once
        os.write(write, ids.freshID()[-12:].encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child_tail = os.read(read, 64).decode()
    os.close(read)
    assert child_tail and child_tail != ids.freshID()[-12:]


def test_fresh_ids_are_canonical_v7_with_the_creation_millisecond():
    # freshID writes the UUID's groups itself: each must be what uuid.UUID prints for the same bits.
    import time
    import uuid

    before = time.time_ns() // 1_000_000
    made = [ids.freshID() for _ in range(2000)]
    after = time.time_ns() // 1_000_000
    for i in made:
        u = uuid.UUID(i)
        assert str(u) == i and u.version == 7 and u.variant == uuid.RFC_4122
        assert before <= u.int >> 80 <= after + 1  # +1: a counter overflow moves to the next ms
    # Within one millisecond the 12-bit counter goes up by one per id.
    same_ms = [(uuid.UUID(a).int, uuid.UUID(b).int) for a, b in zip(made, made[1:])
               if uuid.UUID(a).int >> 80 == uuid.UUID(b).int >> 80]
    assert same_ms and all(((b >> 64) & 0xFFF) == ((a >> 64) & 0xFFF) + 1 for a, b in same_ms)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_does_not_hand_out_the_parents_pooled_v4_ids():
    ids.random_v4()  # the block now holds ids the child would otherwise hand out again
    pooled = set(ids._v4_ids)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, " ".join(ids.random_v4() for _ in range(5)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 4096).decode().split()
    os.close(read)
    assert len(child) == 5 and not pooled & set(child)


def test_fresh_ids_share_the_millisecond_text_and_move_to_the_next_after_4096():
    import time
    import uuid

    made = [ids.freshID() for _ in range(3000)]
    stamps = [uuid.UUID(i).int >> 80 for i in made]
    # the first 15 characters ("%08x-%04x-7") are the millisecond's: the same text for the same stamp
    by_stamp: dict[int, str] = {}
    for text, ms in zip(made, stamps):
        assert by_stamp.setdefault(ms, text[:15]) == text[:15]
    assert stamps == sorted(stamps) and len(set(made)) == len(made)
    # The 12-bit counter full in a millisecond still ahead of the clock: the next id is the next
    # millisecond's first, with that millisecond's text, and the one after counts on from it.
    ahead = time.time_ns() // 1_000_000 + 60_000
    ids._last_ms, ids._last_seq = ahead, 0xFFF
    first, second = uuid.UUID(ids.freshID()), uuid.UUID(ids.freshID())
    assert first.int >> 80 == ahead + 1 and (first.int >> 64) & 0xFFF == 0
    assert str(first)[:15] == f"{(ahead + 1) >> 16:08x}-{(ahead + 1) & 0xFFFF:04x}-7"
    assert second.int >> 80 == ahead + 1 and (second.int >> 64) & 0xFFF == 1 and str(first) < str(second)
