"""How recorded values are shown: short texts and documents with secrets masked, compact HTML tables.

The widgets of every layer use these (the shared flow stepper and the 2025 app's panels), so they
live with the record, below both.
"""

from __future__ import annotations

import html
from typing import Any

from sessioning.masking import mask_id, mask_secrets, mask_value, secrets_revealed

MONO = "font-family: var(--jp-code-font-family, monospace); font-size: 12px;"
PANE = "line-height: 1.45; font-size: 13px; margin-bottom: 8px;"
TABLE = "border-collapse: collapse; margin: 2px 0 6px 0;"
TD = "padding: 1px 10px 1px 0; vertical-align: top;"


def short(value: Any, limit: int = 90) -> str:
    """``repr(value)``, cut to ``limit`` characters with an ellipsis."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def flat(d: Any) -> str:
    """``{k: v}`` as ``k: v, …`` with secrets masked."""
    if not isinstance(d, dict):
        return "undefined" if d is None else short(mask_secrets(d))
    if not d:
        return "{}"
    return "{ " + ", ".join(f"{k}: {short(mask_value(k, v), 60)}" for k, v in d.items()) + " }"


def html_table(df: Any) -> str:
    """A DataFrame as a compact HTML table (the widget's HTML does not get JupyterLab's table styles)."""
    e = html.escape
    head = "".join(f"<th style='{TD} text-align: left; border-bottom: 1px solid #ccc'>{e(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td style='{TD} {MONO}'>{e('' if v is None else str(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table style='{TABLE}'><tr>{head}</tr>{body}</table>"


def is_session_collection(name: str | None) -> bool:
    """A collection of sessions (its ids are session tokens, so they are masked as secrets)."""
    return bool(name) and "session" in name.lower()


def mask_doc(doc: Any, collection: str | None = None, reveal: bool | None = None) -> Any:
    """A document with secrets masked; a session collection's ``_id`` (the session token) too."""
    if (secrets_revealed() if reveal is None else bool(reveal)) or not isinstance(doc, dict):
        return doc
    out = mask_secrets(doc, False)
    if is_session_collection(collection) and "_id" in out:
        out = {**out, "_id": mask_id(out["_id"], False)}
    return out


__all__ = ["MONO", "PANE", "TABLE", "TD", "flat", "html_table", "is_session_collection", "mask_doc", "short"]
