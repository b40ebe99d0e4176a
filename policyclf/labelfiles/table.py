"""Tables with a header row (CSV, TSV, Excel): which column is which, and the rows under it.

Column names (and JSON keys, see :mod:`.jsonl`) are matched against :data:`_ALIASES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .rows import _REPR, _Problems, _Raw

__all__ = []


# Column names (and JSON keys), matched ignoring case and surrounding spaces.
_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "文本", "内容", "content", "sentence", "paragraph"),
    "labels": ("labels", "label", "标签", "类别", "categories"),
    "id": ("id", "编号"),
    "group": ("group", "分组", "document", "doc", "region", "地区"),
}
_ROLE_OF = {alias.casefold(): role for role, names in _ALIASES.items() for alias in names}
_REQUIRED = ("text", "labels")


def _roles(names: Sequence[str], what: str) -> tuple[dict[str, int], list[str]]:
    """Map text/labels/id/group to column positions; problems if ambiguous or missing."""
    found: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        role = _ROLE_OF.get(name.strip().lstrip("\ufeff").casefold())
        if role is not None:
            found.setdefault(role, []).append(i)
    problems: list[str] = []
    roles: dict[str, int] = {}
    for role, positions in found.items():
        if len(positions) > 1:
            both = " and ".join(_REPR.repr(names[i]) for i in positions)
            problems.append(f"{what}s {both} both name the {role}; rename or remove one")
        else:
            roles[role] = positions[0]
    for role in _REQUIRED:
        if role not in found:
            shown = ", ".join(_REPR.repr(n) for n in names[:20]) or "none"
            if len(names) > 20:
                shown += f", ... ({len(names)} in all)"
            accepted = ", ".join(_ALIASES[role])
            problems.append(
                f"missing required {what} {role!r} "
                f"({what}s found: {shown}; accepted names: {accepted})"
            )
    return roles, problems


def _read_table(
    index: int,
    source: str,
    records: Iterable[tuple[int, list[str]]],
    delimiter: str | None,
    out: list[_Raw],
    probs: _Problems,
) -> None:
    """Rows of a spreadsheet-like table whose first non-blank row is the header."""
    header: list[str] | None = None
    roles: dict[str, int] = {}
    for rownum, cells in records:
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = cells
            roles, problems = _roles(cells, "column")
            if problems and delimiter == "," and len(cells) == 1 and ";" in cells[0]:
                problems.append("the header is separated by ';', not ','; save as CSV with commas")
            for p in problems:
                probs.add(index, source, rownum, p)
            if problems:
                return
            continue
        if delimiter is not None and len(cells) != len(header):
            if len(cells) > len(header):
                sep = "comma" if delimiter == "," else "tab"
                hint = f" (an unquoted {sep} inside a cell?)"
            else:
                hint = " (a missing field, or a line break inside an unquoted cell?)"
            probs.add(
                index,
                source,
                rownum,
                f"has {_plural(len(cells), 'field')} but the header has {len(header)}{hint}",
            )
            continue
        out.append(
            _Raw(
                index,
                source,
                rownum,
                cells[roles["text"]],
                cells[roles["labels"]],
                cells[roles["id"]] if "id" in roles else None,
                cells[roles["group"]] if "group" in roles else None,
            )
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
