"""``policyclf tag``: tag texts, a document, or a table of texts, and print the results.

Input (exactly one of):

* ``TEXT …`` — each argument is one text (``-`` alone: read standard input);
* ``--file F`` — by its extension: ``.csv``/``.tsv`` (a text column, ``--text-col``),
  ``.jsonl``/``.ndjson`` (one JSON object per line), ``.xlsx`` (first sheet), anything else a
  document (plain text, HTML, Word .docx or PDF, split into headings, paragraphs and sentences;
  each paragraph is tagged). ``--input-format`` overrides the extension; ``lines`` reads one
  text per line;
* ``--file FOLDER`` or ``--file F1 F2 …`` — several documents (a folder is read recursively):
  every row starts with ``doc``, the document's path (relative to a single folder); a file that
  cannot be read gives one row with the reason in ``error``;
* standard input when neither is given: one text per line (the ``line`` field keeps each
  text's line number; a blank line gives a row with the error ``empty text``, like an empty
  CSV cell).

Rows of a table are streamed in blocks of ``--batch-size``, so a file of any length is tagged in
bounded memory, and every input row gives exactly one output row (one per sentence with
``--sentences``), in order. A row whose text is missing, empty, not text, or not decodable is not
tagged: it gets an ``error`` field saying why, and the count of such rows is reported on stderr
(exit code 0, or 1 with ``--strict``).

Output (``--format``; default ``table`` when standard output is a terminal, else ``jsonl``;
with ``-o FILE`` the format its extension names — ``.csv``, ``.tsv``, ``.jsonl``/``.ndjson``,
``.xlsx`` (a real Excel workbook; extra ``excel``), ``.txt``/``.md`` (the table) — and any other
extension is refused; an existing FILE is replaced only with ``--force``, and the file appears
only once complete, so a failed run leaves nothing behind):

* ``jsonl``: one object per text: the input's fields, then ``labels`` (list of ids), ``scores``
  (id → probability, 4 decimals; null for untagged rows), ``evidence`` (label → [[term, weight],
  …]) and ``error`` (empty when tagged);
* ``csv`` / ``tsv`` / ``xlsx``: the input's columns, then ``labels`` (ids joined by ``;``),
  ``score_<id>`` per label, ``evidence`` (``label: term term …; …``) and ``error`` — the
  columns of ``Model.tag_frame``;
* ``table``: labels with their scores, the strongest evidence terms and the text, aligned for
  Chinese; for a text with no label, the closest label and its score in parentheses.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

from ._common import (
    CLIError,
    UsageError,
    add_encoding_option,
    add_model_option,
    check_encoding,
    error,
    load_model,
    stderr_is_terminal,
    stdin_is_terminal,
    stdout_is_terminal,
    warn,
)
from ._corpus import corpus_source
from ._dask_engine import add_dask_options, run_dask
from ._inputs import Unit, make_source
from ._outputs import Stats, make_writer

if TYPE_CHECKING:
    from policyclf.model import Model, Tag

__all__ = ["add_parser", "run", "tag_units"]

FORMATS = ("table", "jsonl", "csv", "tsv", "xlsx")
#: output file extension -> format
OUTPUT_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
    ".txt": "table",
    ".md": "table",
}
INPUT_FORMATS = ("auto", "document", "lines", "csv", "tsv", "jsonl", "excel")

_DEFAULT_BATCH = 2048
_CSV_FIELD_LIMIT = 2**31 - 1  # csv's default (128 KiB) would refuse a long paragraph
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "excel",
    ".xlsm": "excel",
}


# ----------------------------------------------------------------------------- arguments


def add_parser(
    subparsers: Any, parents: Sequence[argparse.ArgumentParser]
) -> argparse.ArgumentParser:
    """Register ``policyclf tag``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "tag",
        parents=list(parents),
        help="tag texts, a document, or a CSV/JSONL/Excel column",
        description="Tag Chinese policy text with the policy measures it contains. Give texts "
        "as arguments, a file with --file, or one text per line on standard input.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("texts", nargs="*", metavar="TEXT", help="texts to tag (`-`: standard input)")
    p.add_argument(
        "--file",
        "-f",
        metavar="F",
        nargs="+",
        help="a document (.txt, .html, .docx, .pdf), a table (.csv, .tsv, .xlsx) or JSON Lines "
        "(.jsonl); a folder or several documents (rows get a `doc` column); `-` for standard "
        "input",
    )
    p.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        default="auto",
        help="how to read --file or standard input (default: by the file's extension; standard "
        "input: lines)",
    )
    p.add_argument(
        "--text-col",
        default="text",
        metavar="NAME",
        help="the column (CSV/TSV/Excel) or key (JSONL) holding the text (default: text)",
    )
    p.add_argument(
        "--sentences",
        action="store_true",
        help="tag each sentence instead of each paragraph/text/row",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="output format (default: table on a terminal, otherwise jsonl; with --output, by "
        "the output file's extension: .csv .tsv .jsonl .xlsx .txt)",
    )
    p.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the results to FILE instead of standard output, in the format its "
        "extension names (.csv with a UTF-8 byte-order mark for Excel, .tsv, .jsonl, .xlsx, "
        ".txt); refuses to replace an existing FILE without --force",
    )
    p.add_argument(
        "--force",
        "--overwrite",
        action="store_true",
        help="replace an existing --output file",
    )
    add_model_option(p)
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit with code 1 if any row could not be tagged",
    )
    add_encoding_option(p, "CSV/TSV/JSONL files and standard input")
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"texts tagged together (default {_DEFAULT_BATCH}; 1 when typing on a terminal); "
        "affects memory and speed, never results",
    )
    p.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        metavar="N",
        help="worker processes for large inputs (default 1)",
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="never show a progress bar (one is shown on a terminal for long inputs)",
    )
    add_dask_options(p)
    p.set_defaults(run=run)
    return p


_EPILOG = """\
examples:
  policyclf tag "对引进的高层次人才给予安家补贴。"
  policyclf tag --file notice.txt --sentences
  policyclf tag --file docs/ -o tagged.xlsx
  policyclf tag --file a.docx b.pdf page.html --format csv
  policyclf tag --file paragraphs.csv --text-col 内容 --format csv -o tagged.csv
  cat texts.txt | policyclf tag --format jsonl > tagged.jsonl

Rows that cannot be tagged (missing, empty or non-text cells) still give one output row, with
an `error` field; their count is reported on stderr. Exit code 0, or 1 with --strict."""


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


# ----------------------------------------------------------------------------- running


def run(args: argparse.Namespace) -> int:
    """Run ``policyclf tag`` with parsed arguments; returns the exit code."""
    if args.engine == "dask":
        return run_dask(args)
    texts: list[str] = list(args.texts)
    files: list[str] = list(args.file or [])
    if texts and files:
        raise UsageError("give texts or --file, not both")
    if "-" in texts and len(texts) > 1:
        raise UsageError("`-` (standard input) cannot be mixed with other texts")
    if "-" in files and len(files) > 1:
        raise UsageError("`-` (standard input) cannot be mixed with other files")
    _check_texts(texts)
    encoding = check_encoding(args.encoding)
    corpus = len(files) > 1 or (files != ["-"] and len(files) == 1 and Path(files[0]).is_dir())
    args.file = files[0] if len(files) == 1 and not corpus else None
    if corpus:
        _check_corpus(args, files)
    from_stdin = not corpus and ((not texts and args.file in (None, "-")) or texts == ["-"])
    kind = "corpus" if corpus else _input_kind(args, texts, from_stdin)
    if args.file not in (None, "-"):
        _check_readable(args.file)
    fmt = _output_format(args.format, args.output)
    if args.output is not None:
        _check_output(args.output, args.force)

    model = load_model(args.model)
    batch = args.batch_size or (1 if from_stdin and stdin_is_terminal() else _DEFAULT_BATCH)
    to_terminal = args.output is None and stdout_is_terminal()
    show_progress = (
        not args.no_progress
        and kind not in {"texts", "document"}
        and stderr_is_terminal()
        and not to_terminal
    )
    if from_stdin and stdin_is_terminal() and kind == "lines":
        print(
            "policyclf: reading texts from standard input, one per line (Ctrl-D ends)",
            file=sys.stderr,
        )

    with ExitStack() as stack:
        limit = csv.field_size_limit()
        csv.field_size_limit(_CSV_FIELD_LIMIT)
        stack.callback(csv.field_size_limit, limit)
        binary: IO[bytes] | None = None
        name = args.file or ""
        if from_stdin:
            binary, name = _stdin_bytes(), "<stdin>"
        elif kind not in {"texts", "document", "excel", "corpus"}:
            binary = stack.enter_context(open(args.file, "rb"))
        if kind == "corpus":
            source = corpus_source(
                model,
                files,
                sentences=args.sentences,
                encoding=None if args.encoding is None else encoding,
            )
        else:
            source = make_source(
                kind,
                texts=texts,
                binary=binary,
                name=name,
                encoding=encoding,
                text_col=args.text_col,
                sentences=args.sentences,
                model=model,
            )
        out, target = _open_output(stack, args.output, fmt)
        pairs = source.pairs
        if show_progress:
            pairs = _with_progress(pairs, stack)
        writer = make_writer(fmt, out, source, model, wide=to_terminal, path=target)
        stats = Stats()
        for block in _blocks(pairs, model, batch, args.jobs):
            for unit, tag in block:
                stats.add(unit, tag)
                writer.write(unit, tag)
            out.flush()  # a slow stream (tail -f | policyclf tag) sees each block at once
        writer.close(stats, source)
        out.flush()
        if target is not None:
            out.close()
            os.replace(target, args.output)  # the output appears only once complete
    return _report(stats, args.strict, encoding, kind)


def _stdin_bytes() -> IO[bytes]:
    stdin = sys.stdin
    if stdin is None:
        raise CLIError("no standard input to read; give TEXT or --file")
    buffer = getattr(stdin, "buffer", None)
    if buffer is None:
        raise CLIError("standard input cannot be read as bytes")
    return buffer


def _input_kind(args: argparse.Namespace, texts: list[str], from_stdin: bool) -> str:
    if texts and texts != ["-"]:
        if args.input_format != "auto":
            raise UsageError("--input-format applies to --file and standard input, not to TEXT")
        return "texts"
    if args.input_format != "auto":
        return str(args.input_format)
    if from_stdin:
        return "lines"
    suffix = Path(args.file).suffix.lower()
    if suffix == ".json":
        raise CLIError(
            f"{args.file}: .json files are not read by `policyclf tag`; use JSON Lines (.jsonl, "
            "one object per line) or pass --input-format"
        )
    kind = _EXTENSIONS.get(suffix, "document")
    if kind == "csv" and _looks_tab_separated(args.file):
        kind = "tsv"
    return kind


def _looks_tab_separated(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.readline(65536)
    except OSError:
        return False
    return b"\t" in head and b"," not in head


def _check_texts(texts: list[str]) -> None:
    """A TEXT that names an existing file was almost surely meant as --file."""
    from policyclf.readers.paths import names_file

    for text in texts:
        if text != "-" and names_file(text, folders=True):
            raise UsageError(
                f"{text!r} is the name of a {'folder' if Path(text).is_dir() else 'file'}: to tag "
                f"what it contains, use --file {text}"
            )


def _check_corpus(args: argparse.Namespace, files: list[str]) -> None:
    if args.input_format not in ("auto", "document"):
        raise UsageError(
            "--input-format applies to one file; a folder or several files are read as documents"
        )
    for f in files:
        p = Path(f)
        if not p.exists():
            raise CLIError(f"{f}: no such file or folder")
        if p.is_file() and p.suffix.lower() in {*_EXTENSIONS, ".json"}:
            raise UsageError(
                f"{f} is a table: tag tables one at a time (--file {f}); several files or a "
                "folder are read as documents"
            )


def _check_output(output: str, force: bool) -> None:
    if os.path.isdir(output):
        raise CLIError(f"{output} is a folder; give a file name to -o")
    if os.path.lexists(output) and not force:
        raise CLIError(f"{output} already exists; pass --force to replace it, or choose another -o")


def _check_readable(path: str) -> None:
    p = Path(path)
    if not p.exists():
        raise CLIError(f"{path}: no such file")
    if p.is_dir():
        raise CLIError(f"{path}: is a folder, not a file")


def _output_format(fmt: str | None, output: str | None) -> str:
    if output is None:
        if fmt == "xlsx":
            raise UsageError("--format xlsx writes a file: give -o FILE.xlsx")
        return fmt if fmt is not None else ("table" if stdout_is_terminal() else "jsonl")
    suffix = Path(output).suffix.lower()
    named = OUTPUT_EXTENSIONS.get(suffix)
    if fmt is not None and named is not None and fmt != named:
        raise UsageError(f"--format {fmt} does not match -o {output} (a {named} file)")
    if fmt is None and named is None:
        known = " ".join(sorted(OUTPUT_EXTENSIONS))
        raise UsageError(
            f"cannot tell the output format of -o {output} from its extension "
            f"{suffix or '(none)'}; use one of {known}, or pass --format"
        )
    chosen = fmt or named
    assert chosen is not None
    return chosen


def _open_output(stack: ExitStack, output: str | None, fmt: str) -> tuple[TextIO, str | None]:
    """The stream to write to, and the temporary file that becomes ``output`` when done."""
    if output is None:
        return sys.stdout, None
    import tempfile

    folder = os.path.dirname(os.path.abspath(output))
    try:
        fd, target = tempfile.mkstemp(
            prefix="." + os.path.basename(output) + ".", suffix=".part", dir=folder
        )
    except OSError as exc:
        raise CLIError(f"{output}: cannot write ({exc.strerror or exc})") from None
    stack.callback(_remove_if_left, target)
    if fmt == "xlsx":
        os.close(fd)
        return io.StringIO(), target  # the workbook writer writes the file itself
    stream = os.fdopen(
        fd,
        "w",
        encoding="utf-8-sig" if fmt == "csv" else "utf-8",
        errors="backslashreplace",
        newline="" if fmt in ("csv", "tsv") else None,
    )
    stack.callback(stream.close)
    return stream, target


def _remove_if_left(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def _with_progress(
    pairs: Iterator[tuple[Unit, Tag | None]], stack: ExitStack
) -> Iterator[tuple[Unit, Tag | None]]:
    from tqdm import tqdm

    bar = stack.enter_context(
        tqdm(unit=" rows", delay=1.0, file=sys.stderr, mininterval=0.5, dynamic_ncols=True)
    )
    for pair in pairs:
        yield pair
        bar.update(1)


# ----------------------------------------------------------------------------- tagging


def tag_units(
    model: Model, units: Iterable[Unit], *, batch_size: int = _DEFAULT_BATCH, n_jobs: int = 1
) -> Iterator[tuple[Unit, Tag | None]]:
    """Tag a stream of units in blocks of ``batch_size``; rows with an error get ``None``.

    Reads a bounded number of units ahead (a few batches per worker), so memory stays bounded
    however long the stream is, and yields every unit exactly once, in order.
    """
    for block in _blocks(((u, None) for u in units), model, batch_size, n_jobs):
        yield from block


def _blocks(
    pairs: Iterator[tuple[Unit, Tag | None]], model: Model, batch_size: int, n_jobs: int
) -> Iterator[list[tuple[Unit, Tag | None]]]:
    """Tag the untagged, taggable units of ``pairs``; yield them in blocks of ``batch_size``.

    One stream through :meth:`Model.iter_tags` (one worker pool for the whole input with
    ``n_jobs`` > 1). Every unit feeds it one text — ``""`` for a unit with an error or a tag
    already (tagged instantly, the result unused) — so the units held here never outrun the
    texts the model has read: memory stays bounded even in a long run of untaggable rows.
    """
    held: deque[tuple[Unit, Tag | None]] = deque()

    def texts() -> Iterator[str]:
        for unit, tag in pairs:
            held.append((unit, tag))
            yield unit.text if tag is None and not unit.error else ""

    block: list[tuple[Unit, Tag | None]] = []
    tags = model.iter_tags(texts(), batch_size=batch_size, n_jobs=n_jobs)
    try:
        for new in tags:
            unit, tag = held.popleft()
            block.append((unit, new if tag is None and not unit.error else tag))
            if len(block) >= batch_size:
                yield block
                block = []
    finally:
        close = getattr(tags, "close", None)
        if close is not None:
            close()
    if block:
        yield block


def _report(stats: Stats, strict: bool, encoding: str, kind: str) -> int:
    if stats.rows == 0:
        warn("nothing to tag: the input has no text")
    word = {
        "csv": "row",
        "tsv": "row",
        "excel": "row",
        "jsonl": "row",
        "texts": "text",
        "corpus": "row",
    }.get(kind, "line")
    message = stats.problem_summary(word)
    if not message:
        return 0
    if stats.undecodable and encoding == "utf-8":
        message += "\n  hint: if the input was saved as GBK, pass --encoding gb18030"
    if strict:
        error(message + "\n  (--strict: exit code 1)")
        return 1
    warn(message)
    return 0
