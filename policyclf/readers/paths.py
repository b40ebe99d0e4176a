"""Tell a file name from document text in a one-line string."""

from __future__ import annotations

import os
import re

__all__ = ["looks_like_path", "names_file"]

# a dot and 1-5 ASCII letters/digits, at least one a letter ("5.2" is a number, not a name)
_PATH_EXTENSION = re.compile(r"\.(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,5}\s*$")

_PATH_START = re.compile(r"(?:~|\.{1,2}|[A-Za-z]:|[\w.-]*[A-Za-z][\w.-]*)?[/\\]", re.ASCII)


def names_file(value: str, *, folders: bool = False) -> bool:
    """True when the one-line ``value`` names an existing file (or folder, with ``folders``)."""
    if "\n" in value or "\r" in value or "\x00" in value or len(value) >= 4096 or not value:
        return False
    try:
        return os.path.isfile(value) or (folders and os.path.isdir(value))
    except (OSError, ValueError):
        return False


def looks_like_path(value: str) -> bool:
    """A one-line string that reads as a file name rather than as text."""
    if "\n" in value or "\r" in value or len(value) >= 4096 or not value.strip():
        return False
    if _PATH_EXTENSION.search(value):
        return True
    if any(c in "。！？；" for c in value):
        return False
    # a separator at the start or after an ASCII name ("data/", "C:\\", "../", "/"),
    # not a ratio ("1/2", "费用/收入")
    return _PATH_START.match(value.strip()) is not None
