"""Safe reading of the files users point the kit at: regular files only, never a hang, bounded size.

Every reader (``--log``, ``--env``, ``Run.load``, sync files, ``src/engine/*.ts``) opens its input
through this module, because a path is untrusted input:

* a FIFO (named pipe) blocks ``open()`` until a writer appears, i.e. forever;
* ``/dev/zero`` or ``/dev/urandom`` never end, so reading them exhausts memory;
* a directory or a socket gives a bare ``IsADirectoryError`` / ``OSError`` deep in a reader.

So the kit opens with ``O_NONBLOCK`` (which makes opening a FIFO return at once instead of waiting
for a writer), checks with ``fstat`` on the *opened* descriptor (no race with a path swapped between
a check and the open) that it is a regular file, and only then reads, with a size bound where the
caller gives one. Anything else is refused at once with :class:`FileRefused`, which says what the
path is and what to pass instead.

This module is a leaf: it imports only the kit's error base (itself a leaf).
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from sessioning.errors import KitError

__all__ = [
    "DEFAULT_LIMIT", "FileRefused", "check_regular", "describe_kind", "is_regular_file",
    "open_regular", "read_bytes", "read_text",
]

#: Default size bound of :func:`read_bytes` / :func:`read_text` (a whole-file read into memory).
DEFAULT_LIMIT = 256 * 1024 * 1024

# O_NONBLOCK does not exist on Windows, where opening a named pipe does not block either.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class FileRefused(KitError, OSError):
    """A path the kit will not read: missing, not a regular file, unreadable or too large.

    Also an ``OSError`` so that callers catching that keep working. ``hint`` says what to do;
    ``exit_code`` is the command line's status for it (2: bad input).
    """

    exit_code = 2

    def __init__(self, message: str, *, path: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.hint = hint

    def __str__(self) -> str:
        return self.message


def describe_kind(mode: int) -> str:
    """``"a named pipe (FIFO)"``, ``"a directory"``, … for a ``st_mode``; ``"a regular file"`` for one."""
    if stat.S_ISREG(mode):
        return "a regular file"
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _refuse_kind(path: str, mode: int, what: str) -> FileRefused:
    kind = describe_kind(mode)
    hint = ("pass a file inside it" if stat.S_ISDIR(mode)
            else "save the output to a file first (e.g. `deno task start > server.log`) and pass that file")
    return FileRefused(f"{path} is {kind}, not a regular file: the kit reads {what} only from regular files.",
                       path=path, hint=hint)


def _refuse_os_error(path: str, error: OSError, what: str) -> FileRefused:
    if isinstance(error, FileNotFoundError):
        return FileRefused(f"no such file: {path}", path=path, hint=f"check the path of the {what}")
    if isinstance(error, IsADirectoryError):
        return FileRefused(f"{path} is a directory, not a regular file: the kit reads {what} only from regular files.",
                           path=path, hint="pass a file inside it")
    reason = error.strerror or str(error)
    return FileRefused(f"cannot read {path}: {reason}", path=path, hint="check the path and its permissions")


def is_regular_file(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` (following symbolic links) is a regular file; never raises, never blocks."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def check_regular(path: str | os.PathLike[str], what: str = "input") -> os.stat_result:
    """``os.stat`` of ``path`` if it is a regular file, else :class:`FileRefused` (never blocks)."""
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except OSError as e:
        raise _refuse_os_error(str(name), e, what) from None
    except ValueError as e:  # an embedded NUL byte
        raise FileRefused(f"{name!r} is not a valid path ({e})", path=str(name)) from None
    if not stat.S_ISREG(st.st_mode):
        raise _refuse_kind(str(name), st.st_mode, what)
    return st


def open_regular(path: str | os.PathLike[str], what: str = "input") -> BinaryIO:
    """Open ``path`` for binary reading if it is a regular file; :class:`FileRefused` otherwise.

    The check is made on the opened descriptor, so a FIFO never blocks and a device is never read.
    """
    name = os.fspath(path)
    try:
        fd = os.open(name, _OPEN_FLAGS)
    except OSError as e:
        # A socket cannot be opened at all (ENXIO): say what it is rather than the bare reason.
        if not isinstance(e, FileNotFoundError) and not is_regular_file(name) and os.path.exists(name):
            raise _refuse_kind(str(name), os.stat(name).st_mode, what) from None
        raise _refuse_os_error(str(name), e, what) from None
    except ValueError as e:
        raise FileRefused(f"{name!r} is not a valid path ({e})", path=str(name)) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _refuse_kind(str(name), mode, what)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # regular files ignore the flag; reset it for well-behaved reads
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | os.PathLike[str], what: str = "input", *, limit: int | None = DEFAULT_LIMIT) -> bytes:
    """The whole content of the regular file ``path``; :class:`FileRefused` if it exceeds ``limit`` bytes.

    The bound is checked before reading (by size) and while reading (a file that grows, or a
    pseudo-file reporting size 0, is still cut off at ``limit + 1`` bytes and refused).
    """
    with open_regular(path, what) as fh:
        size = os.fstat(fh.fileno()).st_size
        if limit is not None and size > limit:
            raise _too_large(os.fspath(path), size, limit, what)
        data = fh.read() if limit is None else fh.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise _too_large(os.fspath(path), len(data), limit, what)
    return data


def read_text(path: str | os.PathLike[str], what: str = "input", *, limit: int | None = DEFAULT_LIMIT,
              encoding: str = "utf-8", errors: str = "strict") -> str:
    """:func:`read_bytes` decoded; a decoding error is a :class:`FileRefused` naming the encoding."""
    data = read_bytes(path, what, limit=limit)
    try:
        return data.decode(encoding, errors)
    except UnicodeDecodeError as e:
        name = os.fspath(path)
        raise FileRefused(f"{name} is not {encoding} text (byte {e.start}: {e.reason})", path=str(name),
                          hint=f"save the {what} as UTF-8") from None


def _too_large(path: str | bytes, size: int, limit: int, what: str) -> FileRefused:
    return FileRefused(f"{path!s} is larger than {_size(limit)} ({_size(size)} or more): too large for the {what}.",
                       path=str(path), hint=f"check that {path!s} is the {what} you meant")


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)
