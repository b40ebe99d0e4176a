"""Writing the results of ``policyclf tag``: JSON Lines, CSV, or a table for people.

* ``jsonl``: the row's fields, then ``labels`` (list), ``scores`` (id → probability rounded to
  4 decimals; null for rows not tagged), ``evidence`` (label → [[term, weight], …]) and
  ``error`` (empty when tagged);
* ``csv`` (``tsv``: tab-separated, ``xlsx``: an Excel workbook with numeric scores): the row's
  fields, then ``labels`` (ids joined by ``;``), ``score_<id>`` per label, ``evidence``
  (``label: term term …; …``) and ``error``;
* ``table``: key, labels with scores, top evidence terms and the (wrapped) text, aligned for
  Chinese; a text with no label shows the closest label and its score in parentheses.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from ._common import CLIError, warn
from ._inputs import Source, Unit
from ._table import Column, TableWriter, display_width, fit, printable, wrap

if TYPE_CHECKING:
    from policyclf.model import Model, Tag

__all__ = ["Stats", "Writer", "make_writer"]

_TABLE_TEXT_LINES = 6  # a table cell shows at most this many lines of a long text
_EVIDENCE_TERMS = 3  # evidence terms per label in a table


@dataclass
class Stats:
    """Counts of one run: rows written, rows with a label, rows not tagged and why."""

    rows: int = 0
    labelled: int = 0
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    first_failed: list[str] = field(default_factory=list)
    undecodable: int = 0

    def add(self, unit: Unit, tag: Tag | None) -> None:
        """Count one written unit."""
        self.rows += 1
        if unit.error or tag is None:
            self.failed += 1
            where, _, reason = unit.error.partition(": ")
            reason = reason.split(" (", 1)[0]
            if reason.startswith("bytes that are not valid"):
                self.undecodable += 1
                reason = reason.split(" in '", 1)[0]
            self.reasons[reason or "unknown"] += 1
            if len(self.first_failed) < 5:
                self.first_failed.append(where)
        elif tag.labels:
            self.labelled += 1

    def problem_summary(self, unit_word: str) -> str:
        """One paragraph for stderr about the rows that were not tagged ('' if none)."""
        if not self.failed:
            return ""
        reasons = ", ".join(f"{r} ({n})" for r, n in self.reasons.most_common())
        where = ", ".join(self.first_failed)
        if self.failed > len(self.first_failed):
            where += ", …"
        return (
            f"{self.failed} of {_plural(self.rows, unit_word)} could not be tagged: {reasons}; "
            f"first: {where}. They are in the output with an `error` field."
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _rounded(x: float) -> float:
    return round(float(x), 4)


class Writer:
    """Writes tagged units to ``out`` in one format."""

    def __init__(self, out: TextIO, model: Model) -> None:
        self.out = out
        self.labels = model.labels

    def write(self, unit: Unit, tag: Tag | None) -> None:
        raise NotImplementedError

    def close(self, stats: Stats, source: Source) -> None:
        pass


class _JsonlWriter(Writer):
    def write(self, unit: Unit, tag: Tag | None) -> None:
        record = dict(unit.fields)
        if tag is None:
            record.update(
                labels=[], scores=dict.fromkeys(self.labels), evidence={}, error=unit.error
            )
        else:
            record.update(
                labels=list(tag.labels),
                scores={k: _rounded(v) for k, v in tag.scores.items()},
                evidence={k: [[t, _rounded(w)] for t, w in v] for k, v in tag.evidence.items()},
                error="",
            )
        self.out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


class _CsvWriter(Writer):
    def __init__(
        self, out: TextIO, model: Model, fields: list[str] | None, delimiter: str = ","
    ) -> None:
        super().__init__(out, model)
        self.fields = fields
        self.writer = csv.writer(out, lineterminator="\n", delimiter=delimiter)
        self.started = False
        self.dropped: set[str] = set()

    def _writerow(self, row: list[str]) -> None:
        self.writer.writerow(row)

    def _start(self, unit: Unit | None) -> None:
        if self.fields is None:
            self.fields = list(unit.fields) if unit is not None else ["text"]
        scores = [f"score_{k}" for k in self.labels]
        self._writerow([*self.fields, "labels", *scores, "evidence", "error"])
        self.started = True

    def write(self, unit: Unit, tag: Tag | None) -> None:
        if not self.started:
            self._start(unit)
        assert self.fields is not None
        extra = set(unit.fields) - set(self.fields)
        if extra:
            self.dropped |= extra
        row = [_csv_cell(unit.fields.get(f)) for f in self.fields]
        if tag is None:
            row += ["", *([""] * len(self.labels)), "", unit.error]
        else:
            evidence = "; ".join(
                f"{k}: {' '.join(t for t, _ in v)}" for k, v in tag.evidence.items() if v
            )
            row += [
                ";".join(tag.labels),
                *(f"{tag.scores[k]:.4f}" for k in self.labels),
                evidence,
                "",
            ]
        self._writerow(row)

    def close(self, stats: Stats, source: Source) -> None:
        if not self.started and self.fields is not None:
            self._start(None)
        if self.dropped:
            warn(
                f"keys {sorted(self.dropped)} appear only after the first row and are not in "
                "the CSV columns; use --format jsonl to keep them"
            )


class _XlsxWriter(_CsvWriter):
    """The CSV columns in an Excel workbook (write-only: rows stream to disk), saved on close."""

    def __init__(self, path: str, model: Model, fields: list[str] | None) -> None:
        import io

        try:
            from openpyxl import Workbook
        except ImportError:
            raise CLIError(
                'writing .xlsx needs openpyxl: pip install "policyclf[excel]" (or use -o .csv)'
            ) from None
        super().__init__(io.StringIO(), model, fields)
        self.path = path
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("tags")
        self.written = 0

    def _writerow(self, row: list[str]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        first = len(self.fields or []) + 1  # the score columns follow the fields and labels
        numeric = range(first, first + len(self.labels)) if self.written else range(0)
        cells: list[object] = []
        for i, value in enumerate(row):
            if i in numeric and value:
                cells.append(float(value))
                continue
            text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)[:_XLSX_CELL_LIMIT]
            cell = WriteOnlyCell(self.sheet, value=text)
            cell.data_type = "s"  # a text starting with "=" stays text, never a formula
            cells.append(cell)
        self.written += 1
        self.sheet.append(cells)

    def close(self, stats: Stats, source: Source) -> None:
        super().close(stats, source)
        self.book.save(self.path)


_XLSX_CELL_LIMIT = 32767  # Excel's most characters in a cell


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


class _TableWriter(Writer):
    def __init__(self, out: TextIO, model: Model, key_header: str, wide: bool) -> None:
        super().__init__(out, model)
        width = shutil.get_terminal_size((100, 24)).columns if wide else 100
        width = max(width, 60)
        label_w = max(len(k) for k in self.labels) + 9 if self.labels else 12
        key_w = 6
        evidence_w = 26
        text_w = max(20, width - key_w - label_w - evidence_w - 6)
        self.table = TableWriter(
            out,
            [
                Column(key_header, key_w),
                Column("labels", label_w),
                Column("evidence", evidence_w),
                Column("text", text_w, wrap=True),
            ],
        )
        self.text_w = text_w
        self.width = width
        self.last_headings = ""

    def write(self, unit: Unit, tag: Tag | None) -> None:
        if unit.headings and unit.headings != self.last_headings:
            self.table.note(fit(printable("§ " + unit.headings.replace(" > ", " › ")), self.width))
        self.last_headings = unit.headings
        text = unit.text or _csv_cell(unit.fields.get("text"))
        if tag is None:
            labels, evidence, text = ["(not tagged)"], [""], unit.error
        elif tag.labels:
            labels = [f"{k} {tag.scores[k]:.2f}" for k in tag.labels]
            evidence = [
                " ".join(t for t, _ in tag.evidence.get(k, [])[:_EVIDENCE_TERMS])
                for k in tag.labels
            ]
        else:
            best = max(self.labels, key=lambda k: tag.scores[k]) if self.labels else ""
            labels = [f"— ({best} {tag.scores[best]:.2f})" if best else "—"]
            evidence = [""]
        lines = _limit_lines(text, self.text_w)
        self.table.row([[unit.key], labels, evidence, lines])

    def close(self, stats: Stats, source: Source) -> None:
        if stats.rows == 0:
            return
        if not self.table.last_row_tall:
            self.out.write("\n")
        unit = {
            "document": "paragraph",
            "corpus": "paragraph",
            "csv": "row",
            "tsv": "row",
            "excel": "row",
        }.get(source.kind, "text")
        if "sentence" in (source.fields or []):
            unit = "sentence"
        line = f"{_plural(stats.rows, unit)}, {stats.labelled} with at least one label"
        if stats.failed:
            line += f", {stats.failed} not tagged"
        self.out.write(line + "\n")
        if source.profile is not None and source.paragraphs:
            shares = " · ".join(f"{k} {v:.0%}" for k, v in source.profile.items())
            self.out.write(f"profile (share of the {source.paragraphs} paragraphs): {shares}\n")


def _limit_lines(text: str, width: int) -> list[str]:
    lines = wrap(printable(text), width)
    if len(lines) > _TABLE_TEXT_LINES:
        lines = lines[:_TABLE_TEXT_LINES]
        last = lines[-1]
        while last and display_width(last) > width - 1:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def make_writer(
    fmt: str, out: TextIO, source: Source, model: Model, *, wide: bool, path: str | None = None
) -> Writer:
    """The writer for ``fmt`` (``table``, ``jsonl``, ``csv``, ``tsv``, or ``xlsx`` — written to
    ``path``); ``wide``: fit the terminal."""
    if fmt == "jsonl":
        return _JsonlWriter(out, model)
    if fmt == "csv":
        return _CsvWriter(out, model, source.fields)
    if fmt == "tsv":
        return _CsvWriter(out, model, source.fields, delimiter="\t")
    if fmt == "xlsx":
        if path is None:
            raise CLIError("an Excel workbook is written to a file: give -o FILE.xlsx")
        return _XlsxWriter(path, model, source.fields)
    key = {"lines": "line", "csv": "row", "tsv": "row", "excel": "row", "jsonl": "line"}.get(
        source.kind, "#"
    )
    return _TableWriter(out, model, key, wide)
