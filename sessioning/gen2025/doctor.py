"""``sessioning doctor`` for a 2025 course-template app: its server logs, sync files and database.

The hook :func:`run_doctor` (see :mod:`sessioning.generations`) reads each source the options
name, in this order: logs, then sync files (naming the syncs behind what the logs show), then
the database. One unreadable source is a problem line and the others are still read.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sessioning.doctor_report import DoctorOptions, DoctorReport
from sessioning.files import FileRefused
from sessioning.gen2025.diagnosis.database import diagnose_database
from sessioning.gen2025.readers.logs import read_log
from sessioning.gen2025.readers.syncfiles import SyncFiles, correlate, read_syncs
from sessioning.masking import mask_text_uris

__all__ = ["run_doctor"]


def run_doctor(options: DoctorOptions, report: DoctorReport) -> None:
    """Fill ``report`` from the logs, sync files and database that ``options`` name."""
    given = options.given_2026_only()
    if given:
        report.notes.append(f"{', '.join(given)}: only a 2026 app has that evidence; ignored for this 2025 app")
    for path in options.logs:
        _check_log(report, path, options.progress)
    syncs = options.syncs or options.app
    sync_files = _check_syncs(report, syncs) if syncs else None
    if sync_files is not None and options.logs:  # name the syncs behind what the log shows
        report.findings = correlate(report.findings, sync_files)
    if options.env or options.uri:
        _check_db(report, options.uri, options.env, options.db_name)


def _check_log(report: DoctorReport, path: str, progress: bool | None) -> None:
    with report.reading("log", path):
        if path == "-":
            log = read_log(sys.stdin.buffer if hasattr(sys.stdin, "buffer") else sys.stdin, progress=False)
        else:
            if not os.path.exists(path):
                raise FileRefused(f"log file not found: {path}", path=path)
            log = read_log(Path(path), progress=progress)
        report.sources.append({"kind": "log", **log.summary()})
        report.findings.extend(log.findings())


def _check_syncs(report: DoctorReport, path: str) -> SyncFiles | None:
    with report.reading("syncs", path):
        sf = read_syncs(path)
        report.sources.append({"kind": "syncs", "source": sf.root, "files": len(sf.files), "syncs": len(sf.defs),
                               "engine_version": sf.engine_version,
                               "coverage": sf.coverage.line() if sf.coverage else None,
                               "engine": sf.model.engine.describe() if sf.model is not None else None})
        report.findings.extend(sf.findings())
        return sf
    return None  # reading failed: the report holds the problem


def _check_db(report: DoctorReport, uri: str | None, env_file: str | None, db_name: str | None) -> None:
    target = mask_text_uris(uri) if uri else env_file
    with report.reading("database", target):
        if env_file is not None and not os.path.isfile(env_file):
            raise FileRefused(f"env file not found: {env_file}", path=env_file)
        found = diagnose_database(uri=uri, db_name=db_name, env_file=env_file)
        report.sources.append({"kind": "db", "source": target, "findings": len(found)})
        report.findings.extend(found)
