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

#: Exact key names masked since the first version (compared ignoring case, ``_`` and ``-``). Integer
#: values are masked only under these (a numeric session id); a counter named ``user_sessions`` is not.
SECRET_KEYS = frozenset(
    k.lower()
    for k in (
        "password", "passwordHash", "hash", "pass", "pwd", "newPassword", "oldPassword",
        "session", "sessionId", "sessionToken", "token", "accessToken", "refreshToken",
        "secret", "apiKey", "credentials", "authorization", "cookie",
    )
)
#: Exact key names whose values are passwords (shown as a fixed mask whatever their type).
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
    mine = _state.__dict__.get("reveal")  # not getattr(): a missing thread-local attribute builds an error
    return mine if mine is not None else _global["reveal"]


@contextlib.contextmanager
def reveal_secrets(reveal: bool = True) -> Iterator[None]:
    """Temporarily show secrets in full (in this thread)."""
    old = getattr(_state, "reveal", None)
    _state.reveal = reveal
    try:
        yield
    finally:
        _state.reveal = old


# Secrecy is decided by a pattern on the key, as the 2026 engine's redaction does (password, secret,
# token, session, auth, api key), on the key lowercased without ``_``, ``-``, ``.`` and spaces, so
# camelCase, snake_case and kebab-case spellings (``confirmPassword``, ``client_secret``,
# ``x-auth-token``) are all caught. Two exceptions keep harmless keys readable: ``author…`` (a
# post's author; ``authorization`` stays secret) and ``sessioning`` (the concept's name).
#: Values masked entirely (a fixed mask: not even the length shows).
FULL_MASK_PATTERN = re.compile(
    r"password|passwd|passphrase|secret|apikey|privatekey|setupkey|credential|authori[sz]|cookie"
    r"|^(?:pass|pwd|hash)$|pwd$"
)
#: Id-like secrets, shown in a stable short form (``019a6e26…2652``) so equal ids still look equal.
ID_MASK_PATTERN = re.compile(r"session(?!ing)|token|auth(?!or)")
_NORM_DROP = str.maketrans("", "", "_-. ")


def _norm(key: str) -> str:
    return key.translate(_NORM_DROP).lower()


_LEGACY_SECRET = frozenset(_norm(k) for k in SECRET_KEYS)
_LEGACY_PASSWORD = frozenset(_norm(k) for k in PASSWORD_KEYS)
_NONE, _ID, _FULL, _PASSWORD = 0, 1, 2, 3  # key kinds; _PASSWORD masks any value (legacy names)


@functools.lru_cache(maxsize=8192)
def _kind(key: str) -> int:
    if len(key) > 200:  # not a field name: a sentence or a blob is not a key to judge
        return _NONE
    n = _norm(key)
    if n in _LEGACY_PASSWORD:
        return _PASSWORD
    if FULL_MASK_PATTERN.search(n):
        return _FULL
    if n in _LEGACY_SECRET or ID_MASK_PATTERN.search(n):
        return _ID
    return _NONE


def is_secret_key(key: Any) -> bool:
    """True if ``key`` names a secret (password, secret, token, session, auth, api key… in any spelling)."""
    return isinstance(key, str) and _kind(key) > _NONE


def is_password_key(key: Any) -> bool:
    """True if ``key``'s value is masked entirely (passwords, secrets, api keys, authorization headers)."""
    return isinstance(key, str) and _kind(key) >= _FULL


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
    if "dup key" in text:  # before the remembered secrets: this is where an E11000's id is first seen
        text = mask_dup_keys(text)
    if _seen_secrets and len(text) >= 12:
        text = _TOKEN.sub(lambda m: mask_id(m[0], False) if m[0] in _seen_secrets else m[0], text)
    text = mask_text_uris(text, False) if "://" in text else text
    return mask_auth_tokens(text, False)


# An E11000 text quotes the colliding value twice (``dup key: { _id: "…" }`` and ``keyValue``), and for
# a sessions collection that value is a session id although its key is only ``_id``: the secrecy
# comes from the collection (``*sessions*``, index ``_id_``) or from the key's name (``token``…).
_DUP_KEY = re.compile(
    r"collection: (?P<coll>\S+) index: (?P<index>\S+) dup key: \{ (?P<pairs>[^{}]*?) ?\}"
)
_DUP_PAIR = re.compile(
    r"""(?P<key>[\w.$]+): (?:ObjectId\(['"](?P<oid>[0-9a-fA-F]+)['"]\)|"(?P<str>(?:[^"\\]|\\.)*)"|(?P<num>-?\d+))"""
)


def _dup_key_secrets(m: re.Match[str]) -> list[str]:
    """The secret values quoted by one ``dup key: { … }``."""
    sessions = "session" in m["coll"].rsplit(".", 1)[-1].lower()
    out = []
    for p in _DUP_PAIR.finditer(m["pairs"]):
        value = p["oid"] or p["str"] or p["num"]
        if value and (is_secret_key(p["key"]) or (sessions and p["key"] == "_id" and m["index"] == "_id_")):
            out.append(value)
    return out


def mask_dup_keys(text: str, reveal: bool | None = None) -> str:
    """Mask the secret value an E11000 ``dup key: { … }`` quotes, everywhere in ``text`` (``keyValue`` too)."""
    if reveal if reveal is not None else secrets_revealed():
        return text
    for m in list(_DUP_KEY.finditer(text)):
        for value in _dup_key_secrets(m):
            remember_secret(value)  # the same id quoted in another text is masked too
            if len(value) >= 6:  # a short value could also be part of unrelated words
                text = text.replace(value, mask_id(value, False))
    return text


#: Deepest nesting masking descends into; deeper (or cyclic: ``d["self"] = d``) values show as ``[…]``.
#: Recorded values are far shallower; without a bound a cyclic action output made TRACE fail (a 500).
MAX_MASK_DEPTH = 32
TOO_DEEP = "[…]"


def mask_value(key: Any, value: Any, reveal: bool | None = None, *, _depth: int = 0) -> Any:
    """Mask ``value`` if ``key`` names a secret; recurse into containers.

    Under a secret key, a list's items are masked like the key's value; a dict is masked by its own
    keys, its ``_id``/``id``/``value`` taking the parent's kind (``{"session": {"_id": …}}``).
    """
    if reveal if reveal is not None else secrets_revealed():
        return value
    kind = _kind(key) if isinstance(key, str) else _NONE
    if kind == _PASSWORD:
        return mask_password(value, False)
    if isinstance(value, str) and value.startswith("Symbol(") and value.endswith(")"):
        return value  # a sync variable in a recorded pattern, not a secret value
    if kind == _NONE:
        return mask_text(value, False) if isinstance(value, str) else _mask(value, _depth)
    return _mask_under(kind, _norm(key) in _LEGACY_SECRET, value, _depth)


def _mask_under(kind: int, legacy: bool, value: Any, depth: int) -> Any:
    """``value`` held under a secret key of ``kind`` (``legacy``: one of the exact historical names)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (str, bytes)) or (legacy and isinstance(value, int)):
        if kind == _FULL:
            return PASSWORD_MASK
        remember_secret(value)
        return mask_id(value, False)
    if isinstance(value, (list, tuple, Mapping)) and depth >= MAX_MASK_DEPTH:
        return TOO_DEEP
    if isinstance(value, (list, tuple)):
        items = [_mask_under(kind, legacy, v, depth + 1) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, Mapping):
        return {k: (_mask_under(kind, legacy, v, depth + 1) if k in ("_id", "id", "value") and not is_secret_key(k)
                    else mask_value(k, v, False, _depth=depth + 1)) for k, v in value.items()}
    if kind == _FULL and isinstance(value, (int, float)):
        return PASSWORD_MASK
    return value


def mask_secrets(obj: Any, reveal: bool | None = None) -> Any:
    """A copy of ``obj`` (dicts, lists) with every secret-named key's value masked, at any depth
    (down to :data:`MAX_MASK_DEPTH`; below it, and around a cycle, ``[…]``)."""
    if reveal if reveal is not None else secrets_revealed():
        return obj
    return _mask(obj, 0)


def _mask(obj: Any, depth: int) -> Any:
    if not isinstance(obj, (Mapping, list, tuple)):
        return obj
    if depth >= MAX_MASK_DEPTH:
        return TOO_DEEP
    if isinstance(obj, Mapping):
        return {k: mask_value(k, v, False, _depth=depth + 1) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_mask(v, depth + 1) for v in obj]
    return tuple(_mask(v, depth + 1) for v in obj)


# -- URI credentials ------------------------------------------------------------------------------
# A URI is cut as pymongo's parser cuts it: the part before the first "?", then before the first "/",
# is userinfo@hosts, split at its *last* "@"; the userinfo must hold no "@" and at most one ":".
# Anything else (a password with an unencoded "@", "/", "?", "#" or space) cannot be told apart from
# the host, so everything between the scheme and the last "@" is treated as the credential.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}://")
_HOST = re.compile(r"(?:\[[0-9A-Za-z:.%]+\]|[^\s:/?#\[\]@,]+)(?::\d{0,5})?|[^/?#@,]*%2[Ff][^/?#@,]*\.sock")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_TOKEN_END = re.compile(r"[\s'\"<>`]")
MASK = "****"


def _hosts_ok(hosts: str) -> bool:
    return bool(hosts) and all(_HOST.fullmatch(h) for h in hosts.split(","))


def _credentials(rest: str) -> tuple[int, str | None] | None:
    """In a URI's scheme-free part: (index of the "@" that ends the credential, user name to keep or
    None), or None when there is no credential. ``(-1, None)``: none, but the hosts do not parse."""
    host_part = rest.partition("?")[0].partition("/")[0]
    last_at = rest.rfind("@")
    if last_at == -1:
        return None if _hosts_ok(host_part) or not host_part else (-1, None)
    if "@" not in host_part:
        # "@" only after the hosts: in the path or options when the hosts parse (?appname=a@b),
        # else the tail of a password holding an unencoded "/" or "?" (u:pa/ss@host).
        return None if _hosts_ok(host_part) else (last_at, None)
    userinfo = host_part.rpartition("@")[0]
    if last_at >= len(host_part) or "@" in userinfo or userinfo.count(":") > 1 or _BAD_PERCENT.search(userinfo):
        return last_at, None
    user, colon, _ = userinfo.partition(":")
    return len(userinfo), (user if colon and user else None)


def _masked_uri(uri: str, scheme_end: int) -> str:
    found = _credentials(uri[scheme_end:])
    if found is None or found[0] < 0:
        return uri
    at, user = found
    kept = f"{user}:{MASK}" if user is not None else MASK
    return f"{uri[:scheme_end]}{kept}{uri[scheme_end + at:]}"


def uri_credentials(uri: str) -> str:
    """The credential part of ``uri`` as written (``alice:p@ss`` of ``mongodb://alice:p@ss@h/db``), or ``""``."""
    m = _SCHEME.match(uri) if isinstance(uri, str) else None
    found = _credentials(uri[m.end():]) if m else None
    return "" if found is None or found[0] < 0 else uri[m.end():m.end() + found[0]]


def uri_hosts(uri: str) -> str:
    """The host list of ``uri`` (``h1:27017,h2``) without any credential, as far as it can be told."""
    m = _SCHEME.match(uri) if isinstance(uri, str) else None
    rest = uri[m.end():] if m else str(uri)  # no scheme (``alice:pw@host``): cut the same way
    found = _credentials(rest)
    if found is not None and found[0] >= 0:
        rest = rest[found[0] + 1:]
    return rest.partition("?")[0].partition("/")[0]


def _mask_uri_passwords(text: str) -> str:
    """Mask the credential of every ``scheme://…@`` in ``text``, in linear time (one pass over each
    ``://``; the scheme is at most 32 characters back, a URI at most 4096 characters long)."""
    out = []
    pos = 0
    start = text.find("://")
    while start != -1:
        i = start
        while i > 0 and start - i < 32 and text[i - 1].lower() in _SCHEME_CHARS:
            i -= 1
        while i < start and not text[i].isalpha():
            i += 1
        after = start + 3
        if i == start or i < pos:
            start = text.find("://", after)
            continue
        end_m = _TOKEN_END.search(text, after, after + 4096)
        end = end_m.start() if end_m else min(len(text), after + 4096)
        nxt = text.find("://", after, end)
        end = nxt if nxt != -1 else end
        found = _credentials(text[after:end])
        if found is not None and found[0] < 0:
            end = _extend_over_spaces(text, after, end)
            found = _credentials(text[after:end])
        if found is not None and found[0] >= 0:
            at, user = found
            out.append(text[pos:after] + (f"{user}:{MASK}" if user is not None else MASK))
            pos = after + at
        start = text.find("://", max(after, pos))
    out.append(text[pos:])
    return "".join(out)


def _extend_over_spaces(text: str, after: int, end: int) -> int:
    """``scheme://u:pa ss@host``: hosts that do not parse, then an "@" later on the line, within 256
    characters: a password with spaces. The URI then ends at the first delimiter after that "@"."""
    line_end = text.find("\n", end, end + 256)
    window_end = line_end if line_end != -1 else min(len(text), end + 256)
    nxt = text.find("://", end, window_end)
    at = text.rfind("@", end, nxt if nxt != -1 else window_end)
    if at == -1:
        return end
    end_m = _TOKEN_END.search(text, at, at + 4096)
    return end_m.start() if end_m else min(len(text), at + 4096)


_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")
#: HTTP authorization schemes whose token follows in free text (``Authorization: Bearer eyJ…``).
#: The token must look like one (a digit or one of ``._~+/=-``, or 20 characters): "token expired" stays.
_AUTH_TOKEN = re.compile(
    r"\b(Bearer|Basic|Token|Digest)(\s+)"
    r"((?=[A-Za-z0-9._~+/=-]{0,200}[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}|[A-Za-z0-9._~+/=-]{20,})",
    re.IGNORECASE)


def mask_auth_tokens(text: str, reveal: bool | None = None) -> str:
    """``Bearer eyJhbGci…`` → ``Bearer ••••••`` (also ``Basic``, ``Token``, ``Digest``) in free text."""
    if reveal if reveal is not None else secrets_revealed():
        return text
    low = text.lower()
    if "bearer" not in low and "basic" not in low and "token" not in low and "digest" not in low:
        return text
    return _AUTH_TOKEN.sub(lambda m: f"{m[1]}{m[2]}{PASSWORD_MASK}", text)


def mask_uri(uri: str, reveal: bool | None = None) -> str:
    """``mongodb+srv://alice:s3cret@host/db`` → ``mongodb+srv://alice:****@host/db``.

    Parsed as pymongo parses it; a user-only credential (``https://TOKEN@host``) becomes ``****``,
    and a credential that cannot be parsed (``u:p@ss@host``, ``u:pa/ss@host``) is masked whole.
    """
    if reveal if reveal is not None else secrets_revealed():
        return uri
    if not isinstance(uri, str):
        return uri
    m = _SCHEME.match(uri)
    if m is None or "\n" in uri or len(uri) > 65536:
        return mask_text_uris(uri, reveal=False)
    return _masked_uri(uri, m.end())


def mask_text_uris(text: str, reveal: bool | None = None) -> str:
    """Mask the credentials of every URI inside free text (log lines, error messages)."""
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
    if "dup key" in text:
        text = mask_dup_keys(text, False)
    text = mask_auth_tokens(text, False)  # first: `Authorization: Bearer x` would leave x after the key rule

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
