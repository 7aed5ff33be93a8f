"""The 2026 generation: apps on ``@mit-sdg/sync-engine`` (Bun, reactions and endpoints, refusals, MongoDB).

Readers of the evidence (:mod:`.console`, :mod:`.records`, :mod:`.inspect_text`), the app read
statically (:mod:`.model`, :mod:`.model_source`, :mod:`.tsparse`, :mod:`.static`), flows as tables
(:mod:`.flows`, :mod:`.stepper`), sessions (:mod:`.sessions`), the classifier (:mod:`.evidence`,
:mod:`.classify`), the doctor hook (:mod:`.doctor`) and the live driver (:mod:`.live`).
Fixtures recorded from the real engine are in ``fixtures/gen2026/``; the recorder in
``recorders/gen2026/``.
"""
