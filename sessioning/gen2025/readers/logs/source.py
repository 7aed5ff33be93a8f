"""Where a log comes from: a path, pasted text, bytes or an open stream, opened as one binary stream."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sessioning.errors import KitError

__all__ = ["LogReadError", "LogSource", "open_source", "looks_like_path"]


class LogReadError(KitError, ValueError):
    """The input is not a readable text log (binary data, a directory, …)."""


@dataclass
class LogSource:
    """An opened log: ``name`` to show, ``data`` (in memory) or ``path`` (a file), ``stream`` to read."""

    name: str
    data: bytes | None
    path: str | None
    stream: IO[bytes]
    size: int

    def close(self) -> None:
        if self.path is not None:
            self.stream.close()


def looks_like_path(s: str) -> bool:
    """A one-line string that is meant as a file name rather than log text."""
    return bool(s) and " " not in s.strip() and (s.endswith((".log", ".txt")) or os.sep in s)


def _is_path(source: Any) -> bool:
    return isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and len(source) < 4096
                                        and (os.path.exists(source) or looks_like_path(source)))


def _open_file(path: str) -> LogSource:
    if os.path.isdir(path):
        raise LogReadError(f"{path} is a directory, not a log file")
    if not os.path.exists(path):
        raise FileNotFoundError(f"log file not found: {path}")
    size = os.path.getsize(path)
    fh = open(path, "rb")  # noqa: SIM115 - closed by LogSource.close
    head = fh.read(8192)
    fh.seek(0)
    if b"\x00" in head:
        fh.close()
        raise LogReadError(f"{path} looks like a binary file, not a text server log")
    return LogSource(path, None, path, fh, size)


def open_source(source: Any) -> LogSource:
    """Open ``source`` (a path, text, bytes or a stream) for :func:`~.reader.read_log`."""
    if _is_path(source):
        return _open_file(str(source))
    if isinstance(source, str):
        data = source.encode("utf-8", "surrogatepass")
    elif isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        if b"\x00" in data[:8192]:
            raise LogReadError("input looks like binary data, not a text server log")
    elif hasattr(source, "read"):
        raw = source.read()
        data = raw.encode("utf-8", "replace") if isinstance(raw, str) else bytes(raw)
        if b"\x00" in data[:8192]:
            raise LogReadError("input looks like binary data, not a text server log")
    else:
        raise TypeError(f"read_log() takes a path, text, bytes or a stream, not {type(source).__name__}")
    return LogSource("<text>", data, None, io.BytesIO(data), len(data))
