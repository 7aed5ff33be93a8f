"""More fast paths checked against the code they replace (issue 11, speed).

* ``random_v4`` builds its text from ``bytes.hex`` with dashes: the same id, for the same random
  bits, as slicing the 32 hex digits (the code it replaced), and a valid UUID v4;
* an instrumented concept keeps the wrapper it made for an action or query in its own dict: every
  read gives what ``__getattr__`` gives, and setting the attribute through the proxy still goes to
  the concept and is read back as ``__getattr__`` answers.
"""

from __future__ import annotations

import random
import uuid

from sessioning import Engine, SessioningConcept, connect, ids
from sessioning.gen2025.engine.instrument import BoundQuery, InstrumentedAction, InstrumentedConcept


def _sliced_v4() -> str:
    # The code random_v4 replaced, word for word: the reference for the same random bits.
    h = "%032x" % ((random.getrandbits(128) & ids._V4_CLEAR) | ids._V4_SET)  # noqa: UP031
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def test_random_v4_is_the_sliced_text_for_the_same_bits():
    state = random.getstate()
    try:
        random.seed(11)
        new = [ids.random_v4() for _ in range(3000)]
        random.seed(11)
        old = [_sliced_v4() for _ in range(3000)]
    finally:
        random.setstate(state)
    assert new == old
    for text in new[:200]:
        u = uuid.UUID(text)
        assert str(u) == text and u.version == 4 and u.variant == uuid.RFC_4122
    # every digit position takes more than one value (no group lost or shifted)
    assert all(len({t[i] for t in new}) > 1 for i in range(36) if i not in (8, 13, 14, 18, 23))


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
