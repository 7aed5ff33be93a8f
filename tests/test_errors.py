"""KitError: one-line message, hint, exit code; the kit's input errors share it and keep their old bases."""

from __future__ import annotations

import io

import pytest

from sessioning.db.connect import ConnectionProblem, load_config
from sessioning.db.watch import ReadOnlyError
from sessioning.errors import EXIT_USAGE, KitError
from sessioning.files import FileRefused
from sessioning.gen2025.readers.logs import LogReadError, read_log
from sessioning.gen2025.readers.syncfiles import SyncReadError, read_syncs


def test_message_is_one_line_and_hint_is_shown_below():
    e = KitError("no such\n   file:  x", hint="give the path of a log")
    assert e.format_message() == "no such file: x" and e.exit_code == EXIT_USAGE
    out = io.StringIO()
    e.show(out, prefix="doctor: error: ")
    assert out.getvalue() == "doctor: error: no such file: x\n  hint: give the path of a log\n"


def test_no_hint_no_second_line_and_exit_code_can_be_set():
    out = io.StringIO()
    KitError("bad", exit_code=3).show(out)
    assert out.getvalue() == "error: bad\n" and KitError("bad", exit_code=3).exit_code == 3


@pytest.mark.parametrize("cls, base", [(LogReadError, ValueError), (SyncReadError, ValueError),
                                       (ConnectionProblem, RuntimeError), (ReadOnlyError, RuntimeError),
                                       (FileRefused, OSError)])
def test_kit_errors_share_the_base_and_keep_their_old_one(cls, base):
    assert issubclass(cls, KitError) and issubclass(cls, base)


def test_the_readers_raise_kit_errors(tmp_path):
    (tmp_path / "bin.log").write_bytes(b"\x00" * 64)
    with pytest.raises(KitError, match="binary"):
        read_log(tmp_path / "bin.log")
    with pytest.raises(KitError, match="no sync files"):
        read_syncs(tmp_path)
    with pytest.raises(KitError, match="No .env file"):
        load_config(tmp_path / "absent.env")


def test_connection_problem_keeps_its_fields():
    e = ConnectionProblem("could not reach h", cause="refused", host="h:27017")
    assert str(e) == "could not reach h" and e.cause == "refused" and e.host == "h:27017" and e.exit_code == 2


def test_refused_file_is_a_problem_with_its_hint():
    from sessioning.doctor_report import DoctorReport

    report = DoctorReport()
    with report.reading("log", "p"):
        raise FileRefused("p is a named pipe (FIFO), not a regular file", path="p", hint="save it to a file")
    out = io.StringIO()
    report.problems[0].error.show(out, prefix="error: log: ")
    assert out.getvalue() == "error: log: p is a named pipe (FIFO), not a regular file\n  hint: save it to a file\n"


def test_unreadable_file_is_one_line_without_errno():
    from sessioning.doctor_report import DoctorReport

    report = DoctorReport()
    with report.reading("log", "a.log"):
        raise PermissionError(13, "Permission denied")
    assert [p.line() for p in report.problems] == ["log: cannot read a.log: Permission denied"]
    assert report.exit_code() == 2
