"""Quick looks at a MongoDB URI's hosts, so ``connect()`` can fail fast and say what answered.

Two questions the driver does not answer in time:

* *is anything listening at all?* The driver retries a refused connection until its server
  selection timeout; a refusal from every host is already the answer, within milliseconds.
* *what answered, if not MongoDB?* The driver only says "timed out" or "Got response id …"; one
  look at the first bytes the listener sends (or answers to ``HEAD / HTTP/1.0``) tells an HTTP
  server from an SSH server, a TLS endpoint or a listener that never answers.

Only the URI's own hosts are contacted, with short timeouts; never called for ``mongodb+srv://``
(its hosts come from DNS, which the driver resolves).
"""

from __future__ import annotations

import socket
import time

__all__ = ["all_refused", "describe_listener", "tcp_nodes"]

#: More hosts than this: no pre-check (the driver's own timeout applies).
MAX_NODES = 8


def tcp_nodes(uri: str) -> list[tuple[str, int]]:
    """The (host, port) pairs of a ``mongodb://`` URI (no DNS); ``[]`` when unknown or unix sockets."""
    if not uri.startswith("mongodb://"):
        return []
    try:
        from pymongo.uri_parser import parse_uri

        nodes = parse_uri(uri)["nodelist"]
    except Exception:  # noqa: BLE001 - a URI the driver refuses is explained by the driver's error
        return []
    nodes = [(h, int(p)) for h, p in nodes if not str(h).endswith(".sock")]
    return nodes if 0 < len(nodes) <= MAX_NODES else []


def all_refused(nodes: list[tuple[str, int]], seconds: float) -> OSError | None:
    """The error of the first host if *every* host refused the connection or does not resolve, else None.

    A refusal is definitive (nothing listens on that port); a time-out is not (a firewall, a slow
    network), so it leaves the decision to the driver.
    """
    first: OSError | None = None
    deadline = time.monotonic() + seconds
    for host, port in nodes:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            with socket.create_connection((host, port), timeout=left):
                return None
        except (ConnectionRefusedError, socket.gaierror) as e:
            first = first or e
        except (OSError, ValueError):  # a time-out, or a name no resolver accepts (UnicodeError)
            return None
    return first


def describe_listener(host: str, port: int, seconds: float = 0.5) -> str | None:
    """What listens at ``host:port``, as a likely cause in words, from its first bytes; None if nothing does."""
    deadline = time.monotonic() + seconds
    try:
        sock = socket.create_connection((host, port), timeout=seconds)
    except (OSError, ValueError):
        return None
    with sock:
        data = _read_some(sock, deadline - seconds / 2)
        if not data:
            try:
                sock.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
            except OSError:
                return "something accepted the connection there and closed it (not a MongoDB server)"
            data = _read_some(sock, deadline)
    return name_service(data)


def _read_some(sock: socket.socket, deadline: float) -> bytes:
    left = deadline - time.monotonic()
    if left <= 0:
        return b""
    try:
        sock.settimeout(left)
        return sock.recv(256)
    except OSError:
        return b""


# First bytes → what they are. Order matters: the first match wins.
_SIGNATURES: tuple[tuple[tuple[bytes, ...], str], ...] = (
    ((b"HTTP/", b"<!DOCTYPE", b"<!doctype", b"<html", b"<HTML"), "an HTTP server (a web server or API, not MongoDB)"),
    ((b"SSH-",), "an SSH server"),
    ((b"\x15\x03",), "a TLS endpoint (if it is MongoDB behind TLS, add tls=true to the URI)"),
    ((b"-ERR", b"-NOAUTH", b"+OK", b"-DENIED"), "a Redis server"),
    ((b"220",), "an FTP or mail server"),
    ((b"* OK",), "an IMAP server"),
    ((b"RFB ",), "a VNC server"),
)


def name_service(data: bytes) -> str:
    """What the first bytes ``data`` of a listener say about it, as a likely cause of a failed connection."""
    if not data:
        return "something accepted the connection there but never answered (not a MongoDB server, or one that hangs)"
    for prefixes, name in _SIGNATURES:
        if data.startswith(prefixes):
            return f"{name} is listening there, not a MongoDB server"
    text = data[:24].decode("ascii", "replace")
    if text.isprintable():
        return f"a server that is not MongoDB is listening there (it answered {text!r})"
    return "a server that does not speak MongoDB's protocol is listening there"
