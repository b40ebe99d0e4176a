"""What every subcommand shares: exit codes, error reporting, output streams, model loading.

Errors are reported on stderr as one line, ``policyclf: error: <message>`` (a
:class:`~policyclf.exceptions.LabelFileError` adds one indented line per problem), and map to
the exit codes in :data:`EXIT_CODES_HELP`. ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from policyclf.model import Model

__all__ = [
    "EXIT_CODES_HELP",
    "EXIT_DATA",
    "EXIT_INTERRUPTED",
    "EXIT_MODEL",
    "EXIT_OK",
    "EXIT_USAGE",
    "PROG",
    "CLIError",
    "UsageError",
    "add_common_options",
    "add_encoding_option",
    "add_model_option",
    "check_encoding",
    "error",
    "exit_code_for",
    "load_model",
    "prepare_streams",
    "run_guarded",
    "show_warnings_briefly",
    "stderr_is_terminal",
    "stdin_is_terminal",
    "stdout_is_terminal",
    "warn",
]

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_MODEL = 3
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = """\
exit codes:
  0    success (also when the reader of the output stops early, as `| head` does)
  1    input or data error: unreadable or malformed input, a bad label or taxonomy file,
       an output folder that already exists, rows that could not be tagged with --strict
  2    usage error: unknown option, missing or conflicting arguments
  3    model file error: the model folder is missing, corrupt, not a model, or written by an
       incompatible version of policyclf
  130  interrupted (Ctrl-C)"""

PROG = "policyclf"


class CLIError(Exception):
    """An error a subcommand reports as one line on stderr, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_DATA) -> None:
        super().__init__(message)
        self.code = code


class UsageError(CLIError):
    """Arguments that argparse accepted but that do not make sense together (exit code 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Options accepted both before and after the subcommand name (``--debug``)."""
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback when an error occurs",
    )


def error(message: str, stream: TextIO | None = None) -> None:
    """Print ``policyclf: error: <message>`` on stderr."""
    _say("error", message, stream)


def warn(message: str, stream: TextIO | None = None) -> None:
    """Print ``policyclf: warning: <message>`` on stderr."""
    _say("warning", message, stream)


def _say(kind: str, message: str, stream: TextIO | None) -> None:
    out = stream if stream is not None else sys.stderr
    first, *rest = str(message).rstrip("\n").split("\n") or [""]
    lines = [f"{PROG}: {kind}: {first}", *rest]
    try:
        out.write("\n".join(lines) + "\n")
        out.flush()
    except (OSError, ValueError):  # stderr closed: nothing more we can do
        pass


def exit_code_for(exc: BaseException) -> int:
    """The exit code for an exception raised while running a subcommand."""
    from policyclf.exceptions import ModelExistsError, ModelFileError

    if isinstance(exc, CLIError):
        return exc.code
    if isinstance(exc, ModelExistsError):  # an existing --out folder: the user's input
        return EXIT_DATA
    if isinstance(exc, ModelFileError):
        return EXIT_MODEL
    return EXIT_DATA


def _describe(exc: BaseException) -> str:
    """A one-line (LabelFileError: multi-line) message for an exception."""
    from policyclf.exceptions import PolicyclfError

    if isinstance(exc, (CLIError, PolicyclfError)):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"cannot decode the input as {exc.encoding} (byte {exc.start}); "
            "pass --encoding if the file uses another encoding"
        )
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    if isinstance(exc, (ValueError, KeyError, TypeError)):
        text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        return text or type(exc).__name__
    return (
        f"unexpected {type(exc).__name__}: {exc} (this is a bug in policyclf; please report it "
        "with the output of the same command run with --debug)"
    )


def run_guarded(func: Callable[[], int], *, debug: bool, command: str = "") -> int:
    """Run a subcommand, turning exceptions into a message on stderr and an exit code.

    A closed output pipe (``policyclf tag … | head``) ends the command quietly with exit code 0;
    Ctrl-C ends it with 130.
    """
    try:
        code = func()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        _flush_quietly()
        if debug:
            traceback.print_exc()
        message = _describe(exc)
        if isinstance(exc, UsageError):
            message += f" (see `{PROG}{' ' + command if command else ''} --help`)"
        error(message)
        return exit_code_for(exc)


def _flush_quietly() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    except (OSError, ValueError):
        pass


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def prepare_streams() -> None:
    """Make stdout/stderr safe for any text: never a UnicodeEncodeError while writing.

    Piped output is UTF-8 whatever the locale (JSON Lines and CSV are UTF-8 formats); a
    terminal keeps its own encoding. Characters the stream cannot encode (and lone surrogates
    from undecodable input) are written as backslash escapes instead of raising.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
            if stream is sys.stdout and not _isatty(stream) and encoding not in {"utf-8", "utf8"}:
                reconfigure(encoding="utf-8", errors="backslashreplace")
            else:
                reconfigure(errors="backslashreplace")
        except (ValueError, OSError, LookupError):
            pass


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def stdout_is_terminal() -> bool:
    """Whether standard output is an interactive terminal."""
    return _isatty(sys.stdout)


def stderr_is_terminal() -> bool:
    """Whether standard error is an interactive terminal."""
    return _isatty(sys.stderr)


def stdin_is_terminal() -> bool:
    """Whether standard input is an interactive terminal."""
    return _isatty(sys.stdin)


def show_warnings_briefly() -> None:
    """Show Python warnings (near-duplicate rows, skipped tasks…) as one ``policyclf:`` line."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        warn(str(message), file)

    warnings.showwarning = show


def load_model(path: str | None) -> Model:
    """The model at ``path`` (a folder), or the bundled default model when None."""
    import policyclf

    return policyclf.load(path)


def add_model_option(parser: argparse.ArgumentParser) -> None:
    """The ``--model PATH`` option."""
    parser.add_argument(
        "--model",
        "-m",
        metavar="PATH",
        default=None,
        help="a model folder saved by `policyclf train` (default: the bundled default model)",
    )


def add_encoding_option(parser: argparse.ArgumentParser, what: str) -> None:
    """The ``--encoding`` option for CSV/TSV/JSONL/text input."""
    parser.add_argument(
        "--encoding",
        default="utf-8",
        metavar="CODEC",
        help=f"text encoding of {what} (default: utf-8, a byte-order mark is allowed; use "
        "gb18030 for files saved as GBK by Excel on Chinese Windows)",
    )


def check_encoding(name: str) -> str:
    """The canonical codec name, or a usage error naming the unknown encoding."""
    import codecs

    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UsageError(f"unknown encoding {name!r} (try utf-8 or gb18030)") from None
