"""Excel workbooks (.xlsx); pandas and openpyxl are imported only when one is read."""

from __future__ import annotations

import io
import math

from .rows import _Problems, _Raw
from .table import _read_table

__all__ = []


def _cell(value: object) -> str:
    """An Excel cell as text: empty for blank/NaN, integers without a trailing .0."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value)


def _read_excel(index: int, source: str, raw: bytes, out: list[_Raw], probs: _Problems) -> None:
    try:
        import openpyxl  # noqa: F401  (pandas needs it; checked here for a clear message)
        import pandas as pd
    except ImportError:
        probs.add(
            index, source, 0, "reading Excel files needs openpyxl: pip install policyclf[excel]"
        )
        return
    try:
        frame = pd.read_excel(
            io.BytesIO(raw), sheet_name=0, header=None, dtype=object, engine="openpyxl"
        )
    except Exception as e:  # a damaged workbook fails in many ways (zip, XML, openpyxl)
        probs.add(index, source, 0, f"cannot read the Excel workbook ({type(e).__name__}: {e})")
        return
    records = (
        (i + 1, [_cell(v) for v in values]) for i, values in enumerate(frame.values.tolist())
    )
    _read_table(index, source, records, None, out, probs)
