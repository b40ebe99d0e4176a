"""Size limits that keep reading a folder of documents in bounded memory.

A file over a limit is not read: it gets a :class:`~policyclf.exceptions.DocumentReadError`
(one ``error`` row in :func:`~policyclf.readers.read_corpus`). The limits are module
attributes; change them before reading if your documents really are larger.
"""

from __future__ import annotations

__all__ = [
    "MAX_DOCUMENT_CHARS",
    "MAX_FILE_BYTES",
    "MAX_TEXT_BYTES",
    "MAX_ZIP_MEMBER_RATIO",
    "MAX_ZIP_UNCOMPRESSED_BYTES",
]

#: A plain-text or HTML file larger than this (20 MiB) is refused.
MAX_TEXT_BYTES = 20 * 1024 * 1024
#: A Word or PDF file larger than this (100 MiB) is refused.
MAX_FILE_BYTES = 100 * 1024 * 1024
#: A Word file whose parts would unpack to more than this (200 MiB in all) is refused
#: before anything is unpacked (a zip bomb).
MAX_ZIP_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
#: A Word part that unpacks to more than 1 MiB at over this compression ratio is a zip bomb.
MAX_ZIP_MEMBER_RATIO = 200
#: Text extracted from one document (any format) longer than this (10 million characters)
#: is refused.
MAX_DOCUMENT_CHARS = 10_000_000
