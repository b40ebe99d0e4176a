"""Reading and validating the labelled-data files users code themselves.

A user retrains the classifier with rows they labelled in a spreadsheet (CSV, TSV, Excel), as
JSON Lines, or in an annotation tool (Label Studio, doccano). :func:`read_labelled` reads any mix
of those files, checks every row against the taxonomy, and either returns the rows or raises one
:class:`~policyclf.exceptions.LabelFileError` listing every problem in every file, each as
``"<file>: row <n>: <problem>"``, so the user can fix everything in one pass.

Files are only ever opened for reading. Heavy dependencies (pandas, openpyxl) are imported only
when an Excel file is read. See ``docs/label-formats.md`` for the formats, with examples.
"""

from __future__ import annotations

from .detect import FORMATS, detect_format
from .duplicates import text_key
from .read import read_labelled
from .rows import LabelledRow, NearDuplicateWarning

__all__ = [
    "FORMATS",
    "LabelledRow",
    "NearDuplicateWarning",
    "detect_format",
    "read_labelled",
    "text_key",
]
