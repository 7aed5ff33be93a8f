"""``connect()``: the embedded database by default, a real MongoDB when configured.

Configuration is the course template's: ``MONGODB_URL`` and ``DB_NAME``, from the environment or
a ``.env`` file (read with python-dotenv; never written into ``os.environ``). A server that cannot
be reached fails within seconds with a message naming the host (never the password), the likely
cause and what to do.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from sessioning.errors import KitError
from sessioning.masking import mask_text_uris, mask_uri

from .embedded import embedded_client
from .watch import WatchedDatabase

#: Seconds a real server gets to answer before we say why it did not (the whole connect stays under 5 s).
DEFAULT_TIMEOUT_S = 4.0
#: Longer than any real connection string: refuse it at once rather than parse it.
MAX_URI_LENGTH = 4096


class ConnectionProblem(KitError, RuntimeError):
    """The database could not be reached or is misconfigured. ``str()`` says what to do."""

    def __init__(self, message: str, *, cause: str = "", host: str = "", original: str = "") -> None:
        super().__init__(message)
        self.cause = cause
        self.host = host
        self.original = original


def load_config(env_file: str | os.PathLike | None = None) -> dict[str, str]:
    """``MONGODB_URL`` / ``DB_NAME`` from ``env_file`` (or ``./.env``), overridden by the environment."""
    values: dict[str, str] = {}
    path = Path(env_file) if env_file else Path(".env")
    if env_file and not path.is_file():
        raise ConnectionProblem(f"No .env file at {path}: pass the path of your app's .env (it holds MONGODB_URL and DB_NAME).")
    if path.is_file():
        try:
            raw = dotenv_values(path)
        except (UnicodeDecodeError, ValueError) as e:
            raise ConnectionProblem(f"{path} is not a readable .env file ({type(e).__name__}): it should hold lines like MONGODB_URL=mongodb://… and DB_NAME=…") from None
        values.update({k: v for k, v in raw.items() if v is not None and k in ("MONGODB_URL", "DB_NAME")})
        if env_file and "MONGODB_URL" not in values and "MONGODB_URL" in path.read_text(errors="replace"):
            # The file means to name a server: never fall back to the embedded database silently.
            raise ConnectionProblem(
                f"{path} mentions MONGODB_URL but not in a form python-dotenv can read: write one line "
                "MONGODB_URL=mongodb://… (quotes closed) and one line DB_NAME=…"
            )
    for key in ("MONGODB_URL", "DB_NAME"):
        if os.environ.get(key) and not env_file:
            values[key] = os.environ[key]
    return values


def _hosts(uri: str) -> str:
    try:
        from pymongo.uri_parser import parse_uri

        if uri.startswith("mongodb+srv://"):
            return uri.split("@")[-1].split("/")[0].split("?")[0]
        parsed = parse_uri(uri)
        return ",".join(f"{h}:{p}" for h, p in parsed["nodelist"])
    except Exception:
        rest = uri.split("://", 1)[-1][:MAX_URI_LENGTH]
        return rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1] or "(no host)"


def explain_connection_error(uri: str, error: BaseException) -> ConnectionProblem:
    """Turn a driver error into a message that says the host, the likely cause and the fix."""
    from pymongo import errors

    host = _hosts(uri)
    text = mask_text_uris(str(error).split(", Timeout:")[0])
    atlas = ".mongodb.net" in uri
    if isinstance(error, errors.OperationFailure) and (error.code in (18, 8000) or "auth" in text.lower()):
        cause = "bad credentials"
        todo = ("check the user name and password in MONGODB_URL (in Atlas: Database Access); "
                "special characters in the password must be URL-encoded")
    elif isinstance(error, errors.ConfigurationError) and ("DNS" in text or "resolution" in text.lower()):
        cause = "the cluster's host name does not resolve (a typo in the address, or no network)"
        todo = "copy the connection string again from Atlas → Connect → Drivers; check you are online"
    elif isinstance(error, (errors.ConfigurationError, errors.InvalidURI, ValueError, TypeError)):
        cause = "malformed URI"
        todo = "MONGODB_URL must look like mongodb://host:27017 or mongodb+srv://user:password@cluster.mongodb.net"
    elif atlas:
        cause = "Atlas did not answer: most often this machine's IP is not on the Atlas IP access list"
        todo = "add your current IP in Atlas → Network Access (or 0.0.0.0/0 for a class project), and check the cluster is not paused"
    else:
        cause = "no MongoDB server is running there (or a firewall blocks it)"
        todo = ("start mongod (or Docker: docker run -p 27017:27017 mongo), fix MONGODB_URL, "
                "or unset MONGODB_URL to use the kit's embedded database")
    message = (
        f"MongoDB connection failed: could not reach {host} ({type(error).__name__}). "
        f"Likely cause: {cause}. What to do: {todo}.\n  driver said: {text[:300]}"
    )
    return ConnectionProblem(message, cause=cause, host=host, original=text)


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
        raise ConnectionProblem("Could not find environment variable: MONGODB_URL — set it (or pass uri=…), or call connect() with no arguments for the embedded database.")
    if not db_name:
        raise ConnectionProblem("Could not find environment variable: DB_NAME — set it in your .env next to MONGODB_URL (or pass db_name=…).")
    if not isinstance(db_name, str) or any(c in db_name for c in '/\\. "$') or len(db_name) > 63:
        raise ConnectionProblem(f"DB_NAME {db_name!r} is not a valid MongoDB database name (no / \\ . space \" $, at most 63 characters).")
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


def _connect_real(uri: str, db_name: str, *, readonly: bool, timeout: float) -> WatchedDatabase:
    from pymongo import MongoClient, errors

    ms = int(timeout * 1000)
    try:
        client: Any = MongoClient(uri, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms * 4,
                                  appname="sessioning-kit")
    except (errors.PyMongoError, ValueError, TypeError) as e:
        raise explain_connection_error(uri, e) from None
    try:
        client.admin.command("ping")
    except errors.PyMongoError as e:
        client.close()
        raise explain_connection_error(uri, e) from None
    return WatchedDatabase(client[db_name], readonly=readonly, label=mask_uri(uri), client=client)
