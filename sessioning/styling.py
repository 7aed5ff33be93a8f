"""Tables as people expect to see them in a notebook: pandas' HTML, styled where it helps.

``show(table, *columns)`` picks columns and returns a :class:`StyledTable`, which JupyterLab
renders as an HTML table (pandas' ``Styler``) and which prints as plain aligned text everywhere
else (a terminal, nbval's text comparison). The styling only adds colour; the cell texts are the
DataFrame's own, so masked values stay masked.

Colours: a yes/no column shows ``yes`` in green and ``NO`` in red (inverted for columns that name
a problem, such as ``orphaned``); a status of ``error``/``exception``/``timeout`` is red and ``ok``
green; a cell that mentions an unbound variable or a missing binding is red.
"""

from __future__ import annotations

import hashlib
import html
from typing import Any

import pandas as pd

__all__ = ["StyledTable", "show"]

GOOD, BAD = "background-color: #d9f2d9; color: #14532d", "background-color: #fadcdc; color: #7f1d1d"
# Boolean columns where True is the problem (the others read True = good).
PROBLEM_COLUMNS = frozenset({"orphaned", "several_sessions", "id_not_string", "changed_type", "timed_out",
                             "responded_twice", "unbound"})
BAD_STATUSES = frozenset({"error", "exception", "timeout", "timed out", "500", "504", "failed", "NO"})
GOOD_STATUSES = frozenset({"ok", "responded", "200", "yes"})
BAD_WORDS = ("unbound", "Missing binding", "not bound")
# Each table's CSS is scoped by an id; the same id on two tables of one notebook would let one
# table's colours paint the other, so the id is a hash of what the table shows (notebooks/sanitize.cfg
# evens it out for nbval, since masked ids differ from run to run).
STYLE_PREFIX = "sessioning"


class StyledTable:
    """A DataFrame shown as a styled HTML table in notebooks, as aligned text elsewhere."""

    def __init__(self, frame: pd.DataFrame, caption: str | None = None, max_colwidth: int = 70) -> None:
        self.frame = frame
        self.caption = caption
        self.max_colwidth = max_colwidth

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        head = f"{self.caption}\n" if self.caption else ""
        if not len(self.frame):
            return head + "(no rows)"
        return head + self.frame.map(_cell_text).to_string(index=False, max_colwidth=self.max_colwidth)

    def _repr_html_(self) -> str:
        if not len(self.frame):
            caption = f"<b>{html.escape(self.caption)}</b><br>" if self.caption else ""
            return f"{caption}<i>(no rows)</i>"
        shown = self.frame.map(_cell_text)
        digest = hashlib.sha1(shown.to_csv().encode("utf-8", "replace")).hexdigest()[:10]
        styler = shown.style.hide(axis="index").set_uuid(f"{STYLE_PREFIX}{digest}")
        styler = styler.apply(lambda col: [_cell_style(col.name, v, orig) for v, orig
                                           in zip(col, self.frame[col.name])], axis=0)
        styler = styler.set_table_styles([
            {"selector": "th", "props": "text-align: left; white-space: nowrap;"},
            {"selector": "td", "props": "text-align: left; vertical-align: top; font-family: var(--jp-code-font-family, monospace);"
                                       " font-size: 12px; max-width: 40em; overflow-wrap: anywhere;"},
        ])
        if self.caption:
            styler = styler.set_caption(html.escape(self.caption))
        return styler.to_html()


def show(table: pd.DataFrame, *columns: str, caption: str | None = None) -> StyledTable:
    """The ``columns`` of ``table`` (all when none are named) as a :class:`StyledTable`."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"show() takes a pandas DataFrame, not {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise KeyError(f"no column {', '.join(map(repr, missing))} in this table; it has: {', '.join(table.columns)}")
    frame = table[list(columns)] if columns else table
    return StyledTable(frame.reset_index(drop=True), caption=caption)


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def _cell_style(column: Any, text: str, original: Any) -> str:
    if isinstance(original, bool):
        good = (not original) if column in PROBLEM_COLUMNS else original
        return GOOD if good else BAD
    if column in ("status", "outcome", "answer"):
        first = text.split(" ", 1)[0]  # "error 500", "timed out"
        if first in BAD_STATUSES or text.startswith(("5", "timed")):
            return BAD
        if first in GOOD_STATUSES or text.startswith("2"):
            return GOOD
    if any(word in text for word in BAD_WORDS):
        return BAD
    return ""
