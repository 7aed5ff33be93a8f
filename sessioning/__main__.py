"""``python -m sessioning doctor …``: the command-line doctor (see :mod:`sessioning.cli`)."""

from __future__ import annotations

import sys

from sessioning.cli import build_parser, main

USAGE = ("usage: python -m sessioning doctor [APP_DIR] [--log FILE]... [--syncs DIR] [--env FILE | --uri URI] [--json]\n"
         "       (2026 apps also: [--journal FILE] [--requests FILE] [--check FILE] [--manifest FILE] "
         "[--collections DIR]; see --help)")


def _run(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):  # the whole help (description, options, examples), not one line
        parser = build_parser()
        parser.prog = "python -m sessioning doctor"
        print("commands:\n  doctor    check an app's server log, sync files and database\n")
        parser.print_help()
        return 0
    if argv[:1] != ["doctor"]:
        print(USAGE, file=sys.stderr)
        return 2
    return main(argv)


if __name__ == "__main__":
    sys.exit(_run(sys.argv[1:]))
