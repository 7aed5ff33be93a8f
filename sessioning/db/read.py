"""Reading a whole collection fast: the embedded database's store directly, pymongoarrow on a real
server when installed (and trustworthy for the fields asked for), else pymongo batches — with a
progress bar that appears only when reading is slow. Also :func:`id_kind`, the id types the
tables and diagnoses tell apart. Knows no engine and no pandas.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sessioning.ids import UUID7_RE

from .embedded import all_documents, is_embedded, unwrap

#: Documents processed per progress step.
CHUNK = 20_000
#: A progress bar appears only when tabulating takes longer than this many seconds.
PROGRESS_DELAY_S = 0.5


class _NoBar:
    """What ``progress_bar`` gives when no bar is wanted."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


def progress_bar(total: int | None, desc: str, progress: bool | None) -> Any:
    """A tqdm bar: ``progress=None`` shows it only after :data:`PROGRESS_DELAY_S`; ``False`` never."""
    if progress is False:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return _NoBar()
    return tqdm(total=total, desc=desc, unit="doc", delay=0 if progress else PROGRESS_DELAY_S, leave=False)


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    """``items`` in slices of ``size`` (one progress step each)."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _collection(db: Any, name: str) -> Any:
    return db[name] if not hasattr(db, "get_collection") else db.get_collection(name)


def read_collection(db: Any, name: str, *, projection: dict | None = None, progress: bool | None = None,
                    desc: str | None = None) -> list[dict]:
    """Every document of ``db[name]``: a direct store read on the embedded database; on a real
    server pymongoarrow when installed, else pymongo batches (with a progress bar if slow)."""
    coll = _collection(db, name)
    if is_embedded(coll):
        docs = all_documents(coll)
        if projection:
            keep = [k for k, v in projection.items() if v] + ["_id"]
            docs = [{k: d[k] for k in keep if k in d} for d in docs]
        return docs
    target = unwrap(coll)
    try:
        total = target.estimated_document_count()
    except Exception:  # noqa: BLE001 - a count is only for the bar
        total = None
    out: list[dict] = []
    with progress_bar(total, desc or f"reading {name}", progress) as bar:
        for doc in target.find({}, projection, batch_size=10_000):
            out.append(doc)
            if len(out) % 1000 == 0:
                bar.update(1000)
    return out


def read_usernames(db: Any, name: str, username_field: str = "username",
                   progress: bool | None = None) -> dict[Any, Any]:
    """``{user _id: username}`` of a users collection (documents with an unhashable ``_id`` left out)."""
    users: dict[Any, Any] = {}
    for u in read_collection(db, name, progress=progress, desc=f"reading {name}"):
        try:
            users[u.get("_id")] = u.get(username_field)
        except TypeError:  # an unhashable _id
            continue
    return users


def arrow_records(db: Any, name: str, required: list[str], min_docs: int) -> list[dict] | None:  # pragma: no cover
    """Documents pulled with pymongoarrow (real server only, when installed and the collection is large).

    pymongoarrow infers one type per field and turns values of another type into nulls, which would
    hide exactly the ObjectId/string mix-ups the tables look for: if a ``required`` field has nulls,
    the pull is discarded and the caller falls back to plain pymongo batches.
    """
    coll = _collection(db, name)
    if is_embedded(coll):
        return None
    try:
        from pymongoarrow.api import find_pandas_all
    except ImportError:
        return None
    target = unwrap(coll)
    try:
        if target.estimated_document_count() < min_docs:
            return None
        df = find_pandas_all(target, {})
    except Exception:  # noqa: BLE001 - anything pymongoarrow cannot read: plain pymongo instead
        return None
    if any(col not in df.columns or df[col].isna().any() for col in required):
        return None
    from bson import ObjectId

    def value(v: Any) -> Any:
        return ObjectId(v) if isinstance(v, (bytes, bytearray)) and len(v) == 12 else v

    return [{k: value(v) for k, v in row.items() if v is not None and v == v}
            for row in df.to_dict("records")]


def id_kind(value: Any) -> str:
    """``uuid7`` / ``uuid`` / ``string`` / ``ObjectId`` / a type name."""
    if isinstance(value, str):
        if UUID7_RE.match(value):
            return "uuid7"
        return "uuid" if len(value) == 36 and value.count("-") == 4 else "string"
    return type(value).__name__


def uuid7_ms(value: Any) -> float:
    """The Unix time in ms of a UUIDv7 id (its first 48 bits); NaN for any other value."""
    if isinstance(value, str) and UUID7_RE.match(value):
        return float(int(value[:8] + value[9:13], 16))
    return float("nan")


__all__ = ["CHUNK", "PROGRESS_DELAY_S", "arrow_records", "chunks", "id_kind", "progress_bar", "read_collection", "read_usernames",
           "uuid7_ms"]
