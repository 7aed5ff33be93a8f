"""The 2025 generation: the course template ``61040-fa25/concept_backend`` (Deno).

Everything here is specific to that engine: a faithful Python port of its sync engine
(``engine/``), its concepts (``concepts/``), the app wiring (``app.py``, ``auth_syncs.py``),
the readers of a 2025 app's own evidence (``readers/``: server logs, ``*.sync.ts`` files) and the
diagnosis of recorded runs. Shared parts of the kit (failure-mode catalogue, findings, tables,
widgets, masking, database) never import this package.
"""
