"""What ``sessioning doctor`` collects, shared by the command line and each generation's checks.

:class:`DoctorOptions` is what the user asked for (an app directory, logs, a database, and the
2026 evidence files); :class:`DoctorReport` collects findings, one summary per source read, and
the input problems. A generation's doctor (``sessioning.gen2025.doctor``,
``sessioning.gen2026.doctor``) fills a report from options; the command line prints it.

Reading one source never stops the others: :meth:`DoctorReport.reading` is the one place where
the kit's errors are caught. A :class:`~sessioning.errors.KitError` becomes a one-line problem
(with its hint and exit code), an unreachable database becomes finding F18 (recognised by its
type, :class:`~sessioning.db.connect.ConnectionProblem`, never by its text), and anything else a
reader raises is a bug shown as one line, never a traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sessioning import failure_modes
from sessioning.db.connect import ConfigurationProblem, ConnectionProblem
from sessioning.errors import EXIT_ERRORS, EXIT_OK, KitError
from sessioning.files import FileRefused
from sessioning.findings import Finding
from sessioning.masking import mask_text_uris

__all__ = ["DoctorOptions", "DoctorReport", "Problem"]


@dataclass
class DoctorOptions:
    """The command line's request, independent of argparse (a generation's doctor reads only this)."""

    app: str | None = None
    logs: list[str] = field(default_factory=list)
    syncs: str | None = None
    env: str | None = None
    uri: str | None = None
    db_name: str | None = None
    # 2026 evidence (@mit-sdg/sync-engine): passed through to the 2026 doctor
    journal: str | None = None
    requests: str | None = None
    check: str | None = None
    manifest: str | None = None
    collections: str | None = None
    progress: bool | None = None

    #: Options only a 2026 app's evidence gives meaning to.
    GEN2026_ONLY = ("journal", "requests", "check", "manifest", "collections")

    def given_2026_only(self) -> list[str]:
        """The 2026-only options that were given, as ``--name``."""
        return [f"--{name}" for name in self.GEN2026_ONLY if getattr(self, name)]


@dataclass(frozen=True)
class Problem:
    """An input that could not be read: which part (``log``, ``syncs``, ``database``…) and why."""

    part: str
    error: KitError

    def line(self) -> str:
        return f"{self.part}: {self.error.format_message()}"


class DoctorReport:
    """Findings, a summary dict per source read (``kind`` + ``source`` + counts), problems and notes.

    A source summary is printed by the command line; kinds it does not know (a 2026 source) are
    printed from their ``text`` key if present, else as ``key value`` pairs.
    """

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.sources: list[dict[str, Any]] = []
        self.problems: list[Problem] = []
        self.notes: list[str] = []

    def problem(self, part: str, error: KitError) -> None:
        self.problems.append(Problem(part, error))

    @contextlib.contextmanager
    def reading(self, part: str, source: str | None = None) -> Iterator[None]:
        """Run the body; turn whatever stops it into a problem (or F18) and carry on with the next source.

        ``source`` (a path, or the masked database target) is named in the one-line message of an
        unexpected error.
        """
        try:
            yield
        except ConfigurationProblem as e:  # an unreadable .env, no DB_NAME: fix the input first (exit 2)
            self.problem(part, e)
        except ConnectionProblem as e:
            # the database is unreachable or unconfigured: that is a finding (F18), not a usage error
            self.findings.append(_unreachable(e))
            self.sources.append({"kind": "db", "source": source, "findings": 1})
        except KitError as e:
            self.problem(part, e)
        except (OSError, UnicodeError) as e:
            reason = (e.strerror or e) if isinstance(e, OSError) else e  # the reason, without an errno prefix
            self.problem(part, FileRefused(f"cannot read {source}: {reason}", path=source or ""))
        except Exception as e:  # noqa: BLE001 - a reader bug must still be one line, not a traceback
            text = mask_text_uris(" ".join(str(e).split()))[:200]
            # a file is named in the message; a database target already is, in its masked text
            where = f"could not read {source}: " if source and part != "database" else ""
            self.problem(part, KitError(f"{where}{type(e).__name__}: {text}"))

    def exit_code(self) -> int:
        """The largest problem's exit code; else 1 when a finding is an error, else 0."""
        if self.problems:
            return max(p.error.exit_code for p in self.problems)
        return EXIT_ERRORS if any(f.severity == "error" for f in self.findings) else EXIT_OK


def _unreachable(e: ConnectionProblem) -> Finding:
    msg = mask_text_uris(" ".join(str(e).split()) or type(e).__name__)
    why, fix = failure_modes.explain("F18", "db-unreachable", reason=msg.split(". ")[0])
    return Finding(code="F18", severity="error", source="db", evidence=msg[:500], explanation=why, fix=fix)
