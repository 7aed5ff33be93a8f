"""Masking of secrets (passwords, session ids, tokens, URI credentials) in what the kit displays.

Masked by default everywhere; ``reveal_secrets()`` (a context manager) or
``set_reveal_secrets(True)`` shows them in full. Ids are shortened to a *stable* form
(``019a6e26…2652``) so that equal ids still look equal in a table.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

#: Keys whose values are secrets (compared case-insensitively, ignoring ``_`` and ``-``).
SECRET_KEYS = frozenset(
    k.lower()
    for k in (
        "password", "passwordHash", "hash", "pass", "pwd", "newPassword", "oldPassword",
        "session", "sessionId", "sessionToken", "token", "accessToken", "refreshToken",
        "secret", "apiKey", "credentials", "authorization", "cookie",
    )
)
#: Keys whose values are passwords: shown as a fixed mask that leaks nothing, not even the length.
PASSWORD_KEYS = frozenset(
    k.lower() for k in ("password", "passwordHash", "hash", "pass", "pwd", "newPassword", "oldPassword")
)
PASSWORD_MASK = "••••••"

_state = threading.local()
_global = {"reveal": False}


def set_reveal_secrets(reveal: bool) -> None:
    """Show (``True``) or mask (``False``, the default) secrets in everything the kit displays."""
    _global["reveal"] = bool(reveal)


def secrets_revealed() -> bool:
    return getattr(_state, "reveal", None) if getattr(_state, "reveal", None) is not None else _global["reveal"]


@contextlib.contextmanager
def reveal_secrets(reveal: bool = True) -> Iterator[None]:
    """Temporarily show secrets in full (in this thread)."""
    old = getattr(_state, "reveal", None)
    _state.reveal = reveal
    try:
        yield
    finally:
        _state.reveal = old


def _norm(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


_SECRET_NORM = frozenset(_norm(k) for k in SECRET_KEYS)
_PASSWORD_NORM = frozenset(_norm(k) for k in PASSWORD_KEYS)


@functools.lru_cache(maxsize=4096)
def _kind(key: str) -> int:
    n = _norm(key)
    return 2 if n in _PASSWORD_NORM else 1 if n in _SECRET_NORM else 0


def is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and _kind(key) > 0


def is_password_key(key: Any) -> bool:
    return isinstance(key, str) and _kind(key) == 2


def mask_id(value: Any, reveal: bool | None = None) -> Any:
    """Stable short form of an id-like secret: first 8 and last 4 characters."""
    if reveal if reveal is not None else secrets_revealed():
        return value
    if value is None:
        return None
    text = str(value)
    if len(text) <= 8:
        return "…" + text[-2:] if len(text) > 2 else "…"
    return f"{text[:8]}…{text[-4:]}"


def mask_password(value: Any, reveal: bool | None = None) -> Any:
    if reveal if reveal is not None else secrets_revealed():
        return value
    return None if value is None else PASSWORD_MASK


_TOKEN = re.compile(r"[A-Za-z0-9_\-]{12,}")
_seen_secrets: dict[str, None] = {}  # insertion-ordered set, bounded
_SEEN_MAX = 20000


def remember_secret(value: Any) -> None:
    """Note a secret value so that free text quoting it (``Session with id … not found``) is masked too."""
    if isinstance(value, str) and len(value) >= 12:
        _seen_secrets[value] = None
        if len(_seen_secrets) > _SEEN_MAX:
            _seen_secrets.pop(next(iter(_seen_secrets)))


def mask_text(text: str, reveal: bool | None = None) -> str:
    """Mask remembered secrets and URI passwords inside free text."""
    if reveal if reveal is not None else secrets_revealed():
        return text
    if _seen_secrets and len(text) >= 12:
        text = _TOKEN.sub(lambda m: mask_id(m[0], False) if m[0] in _seen_secrets else m[0], text)
    return mask_text_uris(text, False) if "://" in text else text


def mask_value(key: Any, value: Any, reveal: bool | None = None) -> Any:
    """Mask ``value`` if ``key`` names a secret; recurse into containers."""
    if is_password_key(key):
        return mask_password(value, reveal)
    if isinstance(value, str) and value.startswith("Symbol(") and value.endswith(")"):
        return value  # a sync variable in a recorded pattern, not a secret value
    if is_secret_key(key) and isinstance(value, (str, bytes, int)) and not isinstance(value, bool):
        if reveal if reveal is not None else secrets_revealed():
            return value
        remember_secret(value)
        return mask_id(value, False)
    if isinstance(value, str):
        return mask_text(value, reveal)
    return mask_secrets(value, reveal)


def mask_secrets(obj: Any, reveal: bool | None = None) -> Any:
    """A copy of ``obj`` (dicts, lists) with every secret-named key's value masked."""
    if reveal if reveal is not None else secrets_revealed():
        return obj
    if isinstance(obj, Mapping):
        return {k: mask_value(k, v, False) for k, v in obj.items()}
    if isinstance(obj, list):
        return [mask_secrets(v, False) for v in obj]
    if isinstance(obj, tuple):
        return tuple(mask_secrets(v, False) for v in obj)
    return obj


_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")
_USERINFO_STOP = re.compile(r"[/\s@]")


def _mask_uri_passwords(text: str) -> str:
    """Mask ``scheme://user:password@`` passwords in linear time (anchored on each ``://``)."""
    out = []
    pos = 0
    start = text.find("://")
    while start != -1:
        # The scheme: letters right before "://" (bounded, so no backtracking over long tokens).
        i = start
        while i > 0 and start - i < 32 and text[i - 1].lower() in _SCHEME_CHARS:
            i -= 1
        after = start + 3
        stop = _USERINFO_STOP.search(text, after, after + 4096)
        if i < start and stop is not None and text[stop.start()] == "@":
            userinfo = text[after:stop.start()]
            if ":" in userinfo:
                user = userinfo.split(":", 1)[0]
                out.append(text[pos:after] + f"{user}:****")
                pos = stop.start()
        start = text.find("://", after)
    out.append(text[pos:])
    return "".join(out)


def mask_uri(uri: str, reveal: bool | None = None) -> str:
    """``mongodb+srv://alice:s3cret@host/db`` → ``mongodb+srv://alice:****@host/db``."""
    if reveal if reveal is not None else secrets_revealed():
        return uri
    try:
        parts = urlsplit(uri)
        if parts.password is not None:
            netloc = parts.netloc.rsplit("@", 1)
            user = netloc[0].split(":", 1)[0]
            return urlunsplit(parts._replace(netloc=f"{user}:****@{netloc[1]}"))
    except ValueError:
        pass
    return mask_text_uris(uri, reveal=False)


def mask_text_uris(text: str, reveal: bool | None = None) -> str:
    """Mask the password of every URI inside free text (log lines, error messages)."""
    if reveal if reveal is not None else secrets_revealed():
        return text
    return _mask_uri_passwords(text) if "://" in text else text


# ---------------------------------------------------------------- free text: log lines and values read from logs

# `name: value` / `"name"=value` with the name starting at the first [A-Za-z_] of a word. A try from
# inside a word is refused by the look-behind (it could only end where the word's first try ended),
# so a long word is scanned once, not once per character: linear time. `lead` is the opening quote,
# or the digits / `-` / non-ASCII letters that begin the word before the name (`--password=…`).
_INLINE_SECRET = re.compile(
    r"""(?P<lead>["'](?=[A-Za-z_])|(?<![\w-])(?:[^\W_A-Za-z]|-)*+)"""
    r"""(?P<name>[A-Za-z_][\w-]*+)(?P<sep>["']?\s*+[:=]\s*+)(?P<q>['"]?)(?P<val>[^'",\s}\]]+)(?P=q)"""
)
_SESSION_TEXT = re.compile(
    r"(?P<pre>(?:[Ss]ession(?: with id| id)?:? |with ID: |created session: ))(?P<val>[0-9a-zA-Z_-]{6,})"
)


def mask_inline(text: str, reveal: bool | None = None) -> str:
    """Mask secrets inside free text: ``password: '…'``, ``session: '…'``, URI credentials."""
    if text is None:
        return text
    if reveal if reveal is not None else secrets_revealed():
        return text
    if "://" in text:
        text = mask_text_uris(text, reveal=False)

    def repl(m: re.Match[str]) -> str:
        name = m["name"]
        if not (is_password_key(name) or is_secret_key(name)):
            return m[0]
        lead = m["lead"]
        pre, key = ("", lead + name) if lead[:1] in ("'", '"') else (lead, name)
        val = PASSWORD_MASK if is_password_key(name) else mask_id(m["val"], False)
        return f"{pre}{key}{m['sep']}{m['q']}{val}{m['q']}"

    text = _INLINE_SECRET.sub(repl, text)
    return _SESSION_TEXT.sub(_session_repl, text) if "ession" in text or "ID: " in text else text


def _session_repl(m: re.Match[str]) -> str:
    val = m["val"]
    if any(c.isdigit() for c in val):  # an id, not a word ("Session expired"): mask it in other text too
        remember_secret(val)
    return m["pre"] + mask_id(val, False)


@functools.lru_cache(maxsize=4096)
def _secret_name(key: str) -> bool:
    return is_secret_key(key) or is_password_key(key)


def mask_parsed(value: Any) -> Any:
    """A value parsed from free text (a log entry's input or output) with secrets masked.

    Secret-named keys as :func:`mask_value` masks them (which remembers the ids it masks) and, in
    every string, ``Session with id …`` / ``password: …`` text (:func:`mask_inline`) and remembered
    secrets (:func:`mask_text`). Copies only what changes: a big table of clean values costs no copy.
    """
    if isinstance(value, str):
        return _mask_parsed_text(value)
    if isinstance(value, dict):
        out = None
        for k, v in value.items():
            if isinstance(k, str) and _secret_name(k) and (is_password_key(k) or not isinstance(v, (dict, list, tuple))):
                m = mask_value(k, v, False)
            else:
                m = mask_parsed(v)
            if m is not v:
                if out is None:
                    out = dict(value)
                out[k] = m
        return value if out is None else out
    if isinstance(value, (list, tuple)):
        items = [mask_parsed(v) for v in value]
        if all(a is b for a, b in zip(items, value)):
            return value
        return items if isinstance(value, list) else tuple(items)
    return value


def _mask_parsed_text(text: str) -> str:
    if ":" in text or "=" in text or "ession" in text:  # what mask_inline's patterns need
        text = mask_inline(text, False)
    return mask_text(text, False)
