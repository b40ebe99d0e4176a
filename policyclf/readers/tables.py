"""Read a table of documents (CSV, TSV, JSONL, JSON, Excel) into a pandas DataFrame."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..exceptions import DocumentReadError, MissingDependencyError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TABLE_FORMATS", "read_table"]

#: extension -> table format
TABLE_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".xlsx": "excel",
    ".xlsm": "excel",
}


def read_table(path: str | os.PathLike[str], *, encoding: str | None = None) -> pd.DataFrame:
    """Read a table file (column types inferred by pandas; empty cells are missing).

    CSV/TSV/JSONL/JSON are UTF-8 (a byte-order mark is skipped) or, when not UTF-8, GB18030;
    pass ``encoding`` to force one. Excel needs ``openpyxl`` (extra ``excel``).

    Raises:
        DocumentReadError: the file is not a table of a known format, or cannot be parsed.
        MissingDependencyError: an Excel file without openpyxl installed.
    """
    import pandas as pd

    path = Path(path)
    name = str(path)
    fmt = TABLE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DocumentReadError(
            name, f"not a table (expected one of {', '.join(sorted(TABLE_FORMATS))})"
        )
    if fmt == "excel":
        try:
            import openpyxl  # noqa: F401
        except ImportError as err:
            raise MissingDependencyError(
                f'{name}: reading Excel files needs openpyxl: pip install "policyclf[excel]"'
            ) from err
        try:
            return pd.read_excel(path)
        except Exception as err:  # openpyxl raises many kinds on a corrupt file
            raise DocumentReadError(name, f"not a readable Excel file ({err})") from err
    data = path.read_bytes()
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as err:
            raise DocumentReadError(
                name, f"not valid {encoding} (byte offset {err.start})"
            ) from err
        except LookupError as err:
            raise DocumentReadError(name, f"unknown encoding {encoding!r}") from err
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError as err:
                raise DocumentReadError(
                    name, f"neither UTF-8 nor GB18030 (byte offset {err.start}); pass encoding="
                ) from err
    try:
        if fmt in ("csv", "tsv"):
            return pd.read_csv(
                io.StringIO(text),
                sep="\t" if fmt == "tsv" else ",",
            )
        frame = pd.read_json(io.StringIO(text), lines=fmt == "jsonl", dtype=False)
    except (ValueError, pd.errors.ParserError) as err:
        raise DocumentReadError(name, f"not a valid {fmt.upper()} table ({err})") from err
    return frame
