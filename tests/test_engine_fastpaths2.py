"""More fast paths checked against the code they replace (issue 11, speed).

* ``random_v4`` writes its ids a block at a time from ``bytes.hex`` with dashes: the same id, for
  the same random bits, as slicing the 32 hex digits (the code it replaced), a valid UUID v4, and
  each handed out once, whatever the threads;
* an instrumented concept keeps the wrapper it made for an action or query in its own dict: every
  read gives what ``__getattr__`` gives, and setting the attribute through the proxy still goes to
  the concept and is read back as ``__getattr__`` answers.
"""

from __future__ import annotations

import random
import uuid

from sessioning import Engine, SessioningConcept, connect, ids
from sessioning.gen2025.engine.instrument import BoundQuery, InstrumentedAction, InstrumentedConcept

# The version (4) and variant (0b10) bits of a UUID v4, as uuid.UUID(version=4) sets them.
_V4_CLEAR = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_V4_SET = (0x4 << 76) | (0x2 << 62)


def _sliced_v4(chunk: bytes) -> str:
    # The code random_v4 once was, word for word, on 16 given bytes: the reference for the same bits.
    h = "%032x" % ((int.from_bytes(chunk, "big") & _V4_CLEAR) | _V4_SET)  # noqa: UP031
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def test_random_v4_blocks_are_the_sliced_text_for_the_same_bits():
    for seed in (11, 12):
        data = random.Random(seed).randbytes(16 * 300)
        new = ids._v4_block(data)
        assert new == [_sliced_v4(data[i:i + 16]) for i in range(0, len(data), 16)]
    for text in new[:200]:
        u = uuid.UUID(text)
        assert str(u) == text and u.version == 4 and u.variant == uuid.RFC_4122
    # every digit position takes more than one value (no group lost or shifted)
    assert all(len({t[i] for t in new}) > 1 for i in range(36) if i not in (8, 13, 14, 18, 23))
    # one id's worth of bytes, and the extremes of every byte
    assert ids._v4_block(bytes(16)) == ["00000000-0000-4000-8000-000000000000"]
    assert ids._v4_block(b"\xff" * 32) == ["ffffffff-ffff-4fff-bfff-ffffffffffff"] * 2


def test_random_v4_hands_out_each_id_once_across_blocks_and_threads():
    import threading

    made: list[list[str]] = [[] for _ in range(4)]

    def take(out: list[str]) -> None:
        for _ in range(1500):  # several blocks of 256 per thread
            out.append(ids.random_v4())

    threads = [threading.Thread(target=take, args=(out,)) for out in made]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for out in made for i in out]
    assert len(every) == 6000 and len(set(every)) == 6000
    assert all(uuid.UUID(i).version == 4 for i in every[::97])


def test_an_instrumented_concept_reads_its_wrappers_from_its_own_dict():
    engine = Engine("OFF", record=False)
    sess = engine.instrument(SessioningConcept(connect(embedded=True)))
    first = sess._getUser, sess.create
    assert type(first[0]) is BoundQuery and type(first[1]) is InstrumentedAction
    # what the general path gives, called directly, is the object the proxy's dict now holds
    for name, obj in zip(("_getUser", "create"), first):
        assert vars(sess)[name] is obj
        assert InstrumentedConcept.__getattr__(sess, name) is obj
        assert getattr(sess, name) is obj
    # non-callables are read from the concept each time, never kept
    assert sess.sessions is sess.concept.sessions and "sessions" not in vars(sess)


def test_setting_an_action_through_the_proxy_reads_back_as_the_general_path_does():
    engine = Engine("OFF", record=False)
    concept = SessioningConcept(connect(embedded=True))
    sess = engine.instrument(concept)
    action = sess.create
    sess.create = "not callable"  # goes to the concept, as before; the proxy's copy is dropped
    assert concept.create == "not callable" and "create" not in vars(sess)
    assert sess.create == "not callable" == InstrumentedConcept.__getattr__(sess, "create")
    sess.create = lambda user: {"session": "s"}  # callable again: the wrapper made first, as before
    assert sess.create is action is InstrumentedConcept.__getattr__(sess, "create")
    sess.note = 1  # a name never wrapped: only the concept changes
    assert concept.note == 1 and "note" not in vars(sess)
    assert vars(sess)["_concept"] is concept
