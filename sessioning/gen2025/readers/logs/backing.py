"""What a :class:`~.serverlog.ServerLog` re-reads its entries from, after :func:`~.reader.read_log`.

The reader keeps only offsets; a table re-reads the text of the entries it shows. For pasted
text that is the bytes in memory. For a file it is the file itself, kept open, because a log can
be hundreds of megabytes. A file being read is often still being written: ``deno task start >
server.log`` truncates it on every restart. So the file is read with ``pread`` (never a memory
map: touching a mapped page past the new end of a truncated file kills the process with SIGBUS,
the kernel in Jupyter), and it is checked before each table: held open, an appended or deleted
file still holds what was read; a truncated or rewritten one is a clear :class:`LogChanged`.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import BinaryIO, Protocol

from sessioning.gen2025.readers.logs.source import LogReadError

__all__ = ["Backing", "HeldFile", "InMemory", "LogChanged"]

_WINDOW = 64  # bytes compared at each sample point


class LogChanged(LogReadError):
    """The log file changed after it was read (truncated or rewritten): read it again."""


class Backing(Protocol):
    """Where entries are re-read from: ``read(start, end)``; ``check()`` before a table is built."""

    def read(self, start: int, end: int) -> bytes: ...

    def check(self) -> None: ...


class InMemory:
    """Pasted text, bytes, a stream, or a file decoded from another encoding: nothing can change."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, start: int, end: int) -> bytes:
        return self.data[start:end]

    def check(self) -> None:
        return None


class HeldFile:
    """The log file, kept open after reading: re-read by offset, checked against what was read.

    ``size`` is how many bytes the reader read. A sample of the file (a few windows spread over
    those bytes) is taken now and compared by :meth:`check`; a read that comes back short means
    the file was truncated in the meantime.
    """

    def __init__(self, fh: BinaryIO, path: str, size: int) -> None:
        self.path = path
        self.size = size
        self._fh = fh
        self._fd = fh.fileno()
        self._lock = threading.Lock()  # only for systems without pread (seek + read)
        self._sample_at = sorted({max(0, min(size - _WINDOW, size * k // 4)) for k in range(5)}) if size else []
        self._sample = self._take_sample()
        weakref.finalize(self, fh.close)  # the file is closed when the log is dropped

    def _pread(self, start: int, n: int) -> bytes:
        if hasattr(os, "pread"):
            return os.pread(self._fd, n, start)
        with self._lock:
            self._fh.seek(start)
            return self._fh.read(n)

    def _take_sample(self) -> list[bytes]:
        return [self._pread(at, _WINDOW) for at in self._sample_at]

    def read(self, start: int, end: int) -> bytes:
        data = self._pread(start, end - start)
        if len(data) < end - start:
            raise self._changed(os.fstat(self._fd).st_size)
        return data

    def check(self) -> None:
        """:class:`LogChanged` if the bytes that were read are no longer what the file holds."""
        size = os.fstat(self._fd).st_size
        if size < self.size or self._take_sample() != self._sample:
            raise self._changed(size)

    def _changed(self, size: int) -> LogChanged:
        how = (f"truncated (it now has {size:,} bytes, {self.size:,} were read)" if size < self.size
               else "rewritten since it was read")
        return LogChanged(f"{self.path} was {how}: the server probably restarted, and `deno task start > "
                          f"{os.path.basename(self.path)}` starts the file again.",
                          hint=f"read it again: read_log({self.path!r}) (or keep a copy: `cp` the log first)")
