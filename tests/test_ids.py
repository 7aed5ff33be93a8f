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
