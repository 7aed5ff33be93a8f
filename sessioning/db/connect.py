"""``connect()``: the embedded database by default, a real MongoDB when configured.

Configuration is the course template's: ``MONGODB_URL`` and ``DB_NAME``, from the environment or
a ``.env`` file (read with python-dotenv; never written into ``os.environ``). A server that cannot
be reached fails within seconds with a message naming the host (never the password), the likely
cause and what to do.
"""

from __future__ import annotations

import io
import math
import os
import re
import socket
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from sessioning.errors import KitError
from sessioning.files import FileRefused, read_bytes
from sessioning.masking import MASK, mask_text_uris, mask_uri, uri_credentials, uri_hosts

from .embedded import embedded_client
from .probe import all_refused, describe_listener, tcp_nodes
from .watch import WatchedDatabase

#: Seconds a real server gets to answer before we say why it did not (the whole connect stays under 5 s).
DEFAULT_TIMEOUT_S = 4.0
#: Longer than any real connection string: refuse it at once rather than parse it.
MAX_URI_LENGTH = 4096
#: Longest ``timeout=`` accepted (seconds): more is a typo (milliseconds?), not a wish.
MAX_TIMEOUT_S = 600.0


class ConnectionProblem(KitError, RuntimeError):
    """The database could not be reached or is misconfigured. ``str()`` says what to do."""

    def __init__(self, message: str, *, cause: str = "", host: str = "", original: str = "") -> None:
        super().__init__(message)
        self.cause = cause
        self.host = host
        self.original = original


class ConfigurationProblem(ConnectionProblem):
    """The configuration itself is wrong (an unreadable ``.env``, no ``DB_NAME``, an odd ``timeout=``):
    a usage error to fix before any server is contacted, so the command line exits 2 rather than
    reporting an unreachable database."""


#: A ``.env`` larger than this is not a configuration file (a log pasted by mistake?).
MAX_ENV_BYTES = 1024 * 1024


def load_config(env_file: str | os.PathLike | None = None) -> dict[str, str]:
    """``MONGODB_URL`` / ``DB_NAME`` from ``env_file`` (or ``./.env``), overridden by the environment."""
    values: dict[str, str] = {}
    path = Path(env_file) if env_file else Path(".env")
    if env_file and not path.exists():
        raise ConfigurationProblem(
            f"No .env file at {path}: pass the path of your app's .env (it holds MONGODB_URL and DB_NAME).")
    if env_file or path.is_file():
        raw = _read_env(path, explicit=bool(env_file))
        values.update({k: v for k, v in raw.items() if v is not None and k in ("MONGODB_URL", "DB_NAME")})
    for key in ("MONGODB_URL", "DB_NAME"):
        if os.environ.get(key) and not env_file:
            values[key] = os.environ[key]
    return values


def _read_env(path: Path, *, explicit: bool) -> dict[str, str | None]:
    """The ``.env`` at ``path`` as python-dotenv reads it (the template's format), or a
    :class:`ConfigurationProblem` saying what is wrong: never an empty result that would
    silently mean "the embedded database" for a file the user named."""
    try:
        data = read_bytes(path, ".env file", limit=MAX_ENV_BYTES)
    except FileRefused as e:
        raise ConfigurationProblem(f"{e}: a .env file holds lines like MONGODB_URL=mongodb://… and DB_NAME=…") from None
    problem = _env_encoding_problem(data)
    if problem is None:
        text = data.decode("utf-8-sig")
        try:
            raw = dotenv_values(stream=io.StringIO(text))
        except ValueError as e:
            problem = f"python-dotenv cannot read it ({e})"
        else:
            problem = _env_content_problem(text, raw) if explicit else None
            if problem is None:
                return raw
    raise ConfigurationProblem(
        f"{path} is not a readable .env file: {problem}. Write one line MONGODB_URL=mongodb://… "
        "(quotes closed) and one line DB_NAME=…, saved as UTF-8.")


def _env_encoding_problem(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return "it is UTF-16 or UTF-32 text (PowerShell's > and Notepad's \"Unicode\" write that), not UTF-8"
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return f"it is not UTF-8 text (byte {e.start})"
    return None


def _env_content_problem(text: str, raw: dict[str, str | None]) -> str | None:
    """What keeps a readable file from configuring anything, for a file the user named."""
    if not text.strip() or all(line.lstrip().startswith("#") for line in text.splitlines() if line.strip()):
        return "it is empty"
    for key in ("MONGODB_URL", "DB_NAME"):
        near = [k for k in raw if k != key and k.strip().upper() == key]
        if near and raw.get(key) is None:
            return f"it defines {near[0]!r} but the app reads {key} (names are case-sensitive)"
    if raw.get("MONGODB_URL") is None and "MONGODB_URL" in text:
        # The file means to name a server: never fall back to the embedded database silently.
        return "it mentions MONGODB_URL but not in a form python-dotenv can read"
    if not raw:
        return "it holds no NAME=value line"
    return None


def _hosts(uri: str) -> str:
    """The hosts a URI names, never its credentials (``mongodb+srv``: the cluster name, no DNS look-up)."""
    try:
        from pymongo.uri_parser import parse_uri

        if not uri.startswith("mongodb+srv://"):
            parsed = parse_uri(uri)
            return ",".join(f"{h}:{p}" for h, p in parsed["nodelist"])
    except Exception:  # noqa: BLE001, S110 - any parse failure: fall back to the kit's own cut below
        pass
    # The same cut as the masking (pymongo's, then "everything up to the last @" when that fails),
    # so a password with an unencoded "/", "?", "@" or space never ends up in the host.
    return uri_hosts(uri[:MAX_URI_LENGTH]) or "(no host)"


def _scrub_credentials(uri: str, text: str) -> str:
    """``text`` (a driver's message) with the URI's credentials masked, even quoted out of the URI:
    the password whole and each piece of it between special characters (``/ ? @ # :`` and spaces)."""
    text = mask_text_uris(text)
    credential = uri_credentials(uri)
    if not credential:
        return text
    secret = credential.partition(":")[2] or credential
    pieces = {secret, *(p for p in re.split(r"[/?#@:\s]+", secret) if len(p) >= 2)}
    for piece in sorted(pieces, key=len, reverse=True):
        text = text.replace(piece, MASK)
    return text


def explain_connection_error(uri: str, error: BaseException, answered: str | None = None) -> ConnectionProblem:
    """Turn a driver error into a message that says the host, the likely cause and the fix.

    ``answered``: what listens at the host when it is not MongoDB (see :mod:`sessioning.db.probe`).
    """
    host = _hosts(uri)
    text = _scrub_credentials(uri, str(error).split(", Timeout:")[0])
    cause, todo = _cause(uri, error, text, answered)
    message = (
        f"MongoDB connection failed: could not reach {host} ({type(error).__name__}). "
        f"Likely cause: {cause}. What to do: {todo}.\n  driver said: {text[:300]}"
    )
    return ConnectionProblem(message, cause=cause, host=host, original=text)


_NO_SERVER_TODO = ("start mongod (or Docker: docker run -p 27017:27017 mongo), fix MONGODB_URL, "
                   "or unset MONGODB_URL to use the kit's embedded database")


def _cause(uri: str, error: BaseException, text: str, answered: str | None) -> tuple[str, str]:
    """(likely cause, what to do) for a connection error: one rule per kind of failure."""
    from pymongo import errors

    if isinstance(error, errors.OperationFailure) and (error.code in (18, 8000) or "auth" in text.lower()):
        return ("bad credentials", "check the user name and password in MONGODB_URL (in Atlas: Database Access); "
                "special characters in the password must be URL-encoded")
    if isinstance(error, socket.gaierror) or (
            isinstance(error, errors.ConfigurationError) and ("DNS" in text or "resolution" in text.lower())):
        return ("the host name does not resolve (a typo in the address, or no network)",
                "copy the connection string again (Atlas → Connect → Drivers); check you are online")
    if isinstance(error, OSError) and not isinstance(error, ConnectionRefusedError) and "tls" in text.lower():
        return ("a TLS file named in the URI (tlsCAFile, tlsCertificateKeyFile) cannot be read",
                "fix the file's path in MONGODB_URL, or remove the option")
    if isinstance(error, (errors.ConfigurationError, errors.InvalidURI, ValueError, TypeError)):
        return ("malformed URI",
                "MONGODB_URL must look like mongodb://host:27017 or mongodb+srv://user:password@cluster.mongodb.net")
    if answered:
        return (answered,
                "check the port in MONGODB_URL (MongoDB listens on 27017 by default), " + _NO_SERVER_TODO[0].lower()
                + _NO_SERVER_TODO[1:])
    if isinstance(error, (errors.NetworkTimeout, errors.ExecutionTimeout)) or (
            "timed out" in text and not isinstance(error, errors.ServerSelectionTimeoutError)):
        return ("the server answered the handshake but not the command in time (overloaded, paused, or a stalled proxy)",
                "check the server's health (mongod's log, Atlas's metrics) and retry; or pass a larger timeout=")
    if ".mongodb.net" in uri:
        return ("Atlas did not answer: most often this machine's IP is not on the Atlas IP access list",
                "add your current IP in Atlas → Network Access (or 0.0.0.0/0 for a class project), "
                "and check the cluster is not paused")
    return "no MongoDB server is running there (or a firewall blocks it)", _NO_SERVER_TODO


def connect(
    uri: str | None = None,
    db_name: str | None = None,
    *,
    env_file: str | os.PathLike | None = None,
    embedded: bool | None = None,
    readonly: bool = False,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> WatchedDatabase:
    """A pymongo-compatible database.

    * no configuration (or ``embedded=True``): a fresh in-process embedded database;
    * ``uri`` and ``db_name``, or ``MONGODB_URL`` and ``DB_NAME`` in the environment / ``.env``:
      a real MongoDB through pymongo (``mongodb://`` and ``mongodb+srv://``).

    Raises :class:`ConnectionProblem` within ``timeout`` seconds if the server cannot be reached.
    """
    if embedded is None and uri is None:
        config = load_config(env_file) if env_file or Path(".env").is_file() or os.environ.get("MONGODB_URL") else {}
        uri = config.get("MONGODB_URL")
        db_name = db_name or config.get("DB_NAME")
        embedded = uri is None
    if embedded:
        client = embedded_client()
        return WatchedDatabase(client[db_name or "sessioning"], readonly=readonly, label="the embedded in-process database", client=client)
    if not isinstance(uri, str) or not uri.strip():
        raise ConfigurationProblem("Could not find environment variable: MONGODB_URL — set it (or pass uri=…), or call connect() with no arguments for the embedded database.")
    if not db_name:
        raise ConfigurationProblem("Could not find environment variable: DB_NAME — set it in your .env next to MONGODB_URL (or pass db_name=…).")
    if not isinstance(db_name, str) or any(c in db_name for c in '/\\. "$') or len(db_name) > 63:
        raise ConfigurationProblem(f"DB_NAME {db_name!r} is not a valid MongoDB database name (no / \\ . space \" $, at most 63 characters).")
    timeout = _check_timeout(timeout)
    uri = uri.strip()
    if len(uri) > MAX_URI_LENGTH:
        raise ConnectionProblem(
            f"MONGODB_URL is {len(uri):,} characters long, which no MongoDB URI is: check your .env "
            "(a missing line break or a pasted file?). It should look like mongodb+srv://user:password@cluster.mongodb.net",
            cause="malformed URI",
        )
    if not uri.startswith(("mongodb://", "mongodb+srv://")):
        raise explain_connection_error(uri, ValueError("a MongoDB URI starts with mongodb:// or mongodb+srv://"))
    return _connect_real(uri, db_name, readonly=readonly, timeout=timeout)


def _check_timeout(timeout: Any) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) \
            or not 0 < timeout <= MAX_TIMEOUT_S:
        raise ConfigurationProblem(
            f"timeout={timeout!r} is not a number of seconds between 0 and {MAX_TIMEOUT_S:g}: "
            f"pass e.g. timeout={DEFAULT_TIMEOUT_S:g} (the default), or leave it out.", cause="bad timeout")
    return float(timeout)


def _connect_real(uri: str, db_name: str, *, readonly: bool, timeout: float) -> WatchedDatabase:
    import pymongo
    from pymongo import MongoClient, errors

    nodes = tcp_nodes(uri)
    # Every host refusing (or not resolving) is the answer already: the driver would retry until its timeout.
    refused = all_refused(nodes, min(timeout, 1.0)) if nodes else None
    if refused is not None:
        raise explain_connection_error(uri, refused) from None
    # One bound for every phase (selection, connecting, each reply), and one deadline over the ping,
    # so a server that completes the handshake and then never answers fails within ``timeout``.
    ms = max(1, int(timeout * 1000))
    try:
        client: Any = MongoClient(uri, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms,
                                  appname="sessioning-kit")
    except (errors.PyMongoError, ValueError, TypeError, OSError) as e:
        raise explain_connection_error(uri, e) from None
    try:
        with pymongo.timeout(timeout):
            client.admin.command("ping")
    except errors.PyMongoError as e:
        client.close()
        answered = None
        if nodes and isinstance(e, errors.ServerSelectionTimeoutError) and "refused" not in str(e).lower():
            answered = describe_listener(*nodes[0], seconds=min(timeout, 0.5))
        raise explain_connection_error(uri, e, answered) from None
    return WatchedDatabase(client[db_name], readonly=readonly, label=mask_uri(uri), client=client)
