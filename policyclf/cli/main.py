"""The ``policyclf`` command line: a thin layer over the library.

Commands::

    policyclf tag TEXT…            tag texts (or --file F, or standard input, one text per line)
    policyclf profile SOURCE…      the policy mix of a corpus by group (table, plot)
    policyclf train --out DIR      train a model (--add FILE… adds your labelled rows)
    policyclf evaluate FILE        score a model on labelled data you held out
    policyclf suggest SOURCE…      the texts most worth labelling next, as an annotation batch
    policyclf taxonomy             print the codebook (--stats: the corpus label counts)
    policyclf info [MODEL]         a model's metadata, fingerprint and evaluation summary

``policyclf --version`` prints the version; ``--debug`` (before or after the command name) shows
the traceback of an error. Errors are reported on stderr as one line starting with
``policyclf: error:``.

Exit codes:

| code | meaning |
| ---: | --- |
| 0 | success (also when the reader of the output stops early, e.g. `head`) |
| 1 | data error: bad input, label or taxonomy file; `--out` exists; untagged rows with `--strict` |
| 2 | usage error: unknown option, missing or conflicting arguments |
| 3 | model error: model folder missing, corrupt, not a model, or from an incompatible version |
| 130 | interrupted (Ctrl-C) |
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from . import evaluate, info, profile, suggest, tag, taxonomy, train
from ._common import (
    EXIT_CODES_HELP,
    EXIT_USAGE,
    add_common_options,
    prepare_streams,
    run_guarded,
    show_warnings_briefly,
)

__all__ = ["build_parser", "main"]

_COMMANDS = (tag, profile, train, evaluate, suggest, taxonomy, info)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``policyclf`` with every subcommand."""
    from policyclf import __version__

    parser = argparse.ArgumentParser(
        prog="policyclf",
        description="Tag Chinese policy text with the policy measures it contains "
        "(policy-tool analysis, 政策工具分析).",
        epilog="Run `policyclf COMMAND --help` for the options of a command.\n\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"policyclf {__version__}")
    add_common_options(parser)
    common = argparse.ArgumentParser(add_help=False)
    add_common_options(common)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _COMMANDS:
        sub = module.add_parser(subparsers, [common])
        sub.epilog = (sub.epilog + "\n\n" if sub.epilog else "") + EXIT_CODES_HELP
        sub.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``policyclf`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    prepare_streams()
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE if exc.code else 0
    if getattr(args, "command", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    debug = bool(getattr(args, "debug", False))
    with warnings.catch_warnings():
        show_warnings_briefly()
        return run_guarded(lambda: int(args.run(args)), debug=debug, command=args.command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
