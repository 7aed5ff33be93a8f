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
