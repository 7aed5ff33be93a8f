"""Where a log comes from: a path, pasted text, bytes or an open stream, opened as one UTF-8 byte stream.

A path is opened through :mod:`sessioning.files` (regular files only: a FIFO or a device is refused
at once instead of blocking or reading forever). The encoding is read from the first bytes: UTF-8
(with or without a BOM) is streamed as it is; UTF-16 and UTF-32 (PowerShell's ``>`` writes UTF-16LE
with a BOM) are decoded into UTF-8 in memory, since the reader works on UTF-8 bytes. Anything else
with zero bytes is binary and refused.

A one-line string is a path when the file exists or when it looks like one (a name ending in
``.log``/``.txt``/``.out``, possibly with spaces, or a word with a slash): a mistyped path is then a
clear "not found" naming it, not log text that looks like nothing.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sessioning.errors import KitError
from sessioning.files import DEFAULT_LIMIT, FileRefused, open_regular

__all__ = ["LogNotFound", "LogReadError", "LogSource", "detect_encoding", "looks_like_path", "open_source"]

_HEAD = 8192  # bytes looked at to tell the encoding, or binary data
_BOMS = (  # longest first: UTF-32LE's BOM starts with UTF-16LE's
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
)
#: a file name a user means: optional `~` or drive, no `:*?"<>|` (so no log line with `key: value`)
_PATH_NAME = re.compile(r"(?:~|[A-Za-z]:)?[^:*?\"<>|\r\n]+\.(?:log|txt|out)", re.I)


class LogReadError(KitError, ValueError):
    """The input is not a readable text log (binary data, a directory, …)."""


class LogNotFound(FileRefused, FileNotFoundError):
    """A log path that does not exist (a ``FileNotFoundError`` too, for callers catching that)."""


@dataclass
class LogSource:
    """An opened log: ``name`` to show, ``stream`` of UTF-8 bytes to read from offset ``start``.

    ``data``: the bytes in memory (text, bytes, streams, decoded files), or None for a file read in
    place (``path``), whose ``stream`` the :class:`~.serverlog.ServerLog` keeps to re-read entries.
    """

    name: str
    data: bytes | None
    path: str | None
    stream: IO[bytes]
    size: int
    start: int = 0


def detect_encoding(head: bytes) -> str | None:
    """The encoding of a log from its first bytes: a BOM, or the zero bytes of UTF-16/32 ASCII text.

    None for UTF-8 without a BOM (the common case) and for binary data (zero bytes in no pattern).
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if b"\x00" not in head:
        return None
    n = len(head) - len(head) % 4
    if n < 16:  # too little text to tell an encoding from binary data
        return None
    zeros = [head[i:n:4].count(0) / (n // 4) for i in range(4)]  # share of zero bytes at each position mod 4
    for name, pattern in (("utf-32-le", (0, 1, 1, 1)), ("utf-32-be", (1, 1, 1, 0)),
                          ("utf-16-le", (0, 1, 0, 1)), ("utf-16-be", (1, 0, 1, 0))):
        if all(z > 0.9 if want else z < 0.3 for z, want in zip(zeros, pattern)):
            return name
    return None


def _decoded(data: bytes, encoding: str | None, binary: str) -> tuple[bytes, int]:
    """(UTF-8 bytes, offset of the first byte to read) for ``data`` in ``encoding``; binary is refused."""
    if encoding == "utf-8-sig":
        return data, 3
    if encoding is not None:
        return data.decode(encoding, "replace").encode("utf-8", "surrogatepass"), 0
    if b"\x00" in data[:_HEAD]:
        raise LogReadError(f"{binary}, not a text server log")
    return data, 0


def looks_like_path(s: str) -> bool:
    """A one-line string that is meant as a file name rather than log text."""
    s = s.strip()
    if not s:
        return False
    if " " not in s and (s.endswith((".log", ".txt")) or os.sep in s or "/" in s):
        return True
    return _PATH_NAME.fullmatch(s) is not None


def _as_path(source: Any) -> str | None:
    """The path ``source`` names, or None when it is log text (or not a string at all)."""
    if isinstance(source, Path):
        return str(source)
    if not isinstance(source, str) or "\n" in source or len(source) >= 4096:
        return None
    if os.path.exists(source):
        return source
    user = os.path.expanduser(source.strip())
    if os.path.exists(user):
        return user
    return source if looks_like_path(source) else None


def _open_regular(path: str) -> IO[bytes]:
    """The file at ``path`` if it is a regular file; a missing one or a directory in the log's own terms."""
    try:
        return open_regular(path, "server log")
    except FileRefused as e:
        if not os.path.lexists(path):
            raise LogNotFound(f"log file not found: {path}", path=path,
                              hint="check the path; to read log text instead, pass the text with its newlines") from None
        if os.path.isdir(path):
            raise LogReadError(str(e), hint=e.hint) from None
        raise  # a FIFO, a device, a socket, no permission: what files.py says


def _open_file(path: str) -> LogSource:
    fh = _open_regular(path)
    try:
        head = fh.read(_HEAD)
        encoding = detect_encoding(head)
        size = os.fstat(fh.fileno()).st_size
        if encoding is None or encoding == "utf-8-sig":  # read in place, from the file
            _decoded(head, encoding, f"{path} looks like a binary file")  # refuses binary data
            start = 3 if encoding else 0
            fh.seek(start)
            return LogSource(path, None, path, fh, size, start)
        if size > DEFAULT_LIMIT:
            raise LogReadError(f"{path} is a {encoding} log of {size:,} bytes: too large to decode in memory",
                               hint="convert it to UTF-8 first (e.g. `iconv -f UTF-16 -t UTF-8`)")
        data, _ = _decoded(head + fh.read(), encoding, f"{path} looks like a binary file")
    except BaseException:
        fh.close()
        raise
    fh.close()
    return LogSource(path, data, None, io.BytesIO(data), len(data))


def open_source(source: Any) -> LogSource:
    """Open ``source`` (a path, text, bytes or a stream) for :func:`~.reader.read_log`."""
    path = _as_path(source)
    if path is not None:
        return _open_file(path)
    if isinstance(source, str):
        data = source.encode("utf-8", "surrogatepass")
        return LogSource("<text>", data, None, io.BytesIO(data), len(data))
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
    elif hasattr(source, "read"):
        got = source.read()
        raw = got.encode("utf-8", "replace") if isinstance(got, str) else bytes(got)
    else:
        raise TypeError(f"read_log() takes a path, text, bytes or a stream, not {type(source).__name__}")
    data, start = _decoded(raw, detect_encoding(raw[:_HEAD]), "input looks like binary data")
    stream = io.BytesIO(data)
    stream.seek(start)
    return LogSource("<text>", data, None, stream, len(data), start)
