"""JSON Lines files: one object per line, including doccano's text-classification export."""

from __future__ import annotations

import json

from .rows import _json_type, _Problems, _Raw
from .table import _roles

__all__ = []


def _read_jsonl(
    index: int, source: str, text: str, fmt: str, out: list[_Raw], probs: _Problems
) -> None:
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            probs.add(index, source, lineno, f"not valid JSON ({e.msg} at column {e.colno})")
            continue
        except (ValueError, RecursionError) as e:
            probs.add(index, source, lineno, f"not valid JSON ({e})")
            continue
        if not isinstance(obj, dict):
            probs.add(index, source, lineno, f"not a JSON object (got {_json_type(obj)})")
            continue
        keys = list(obj)
        roles, problems = _roles(keys, "key")
        for p in problems:
            probs.add(index, source, lineno, p)
        if problems:
            continue
        labels = obj[keys[roles["labels"]]]
        if (
            fmt == "doccano"
            and isinstance(labels, list)
            and any(isinstance(x, list) for x in labels)
        ):
            probs.add(
                index,
                source,
                lineno,
                "labels are spans ([start, end, label]): this is a sequence-labelling export; "
                "export a text-classification project instead",
            )
            continue
        out.append(
            _Raw(
                index,
                source,
                lineno,
                obj[keys[roles["text"]]],
                labels,
                obj[keys[roles["id"]]] if "id" in roles else None,
                obj[keys[roles["group"]]] if "group" in roles else None,
            )
        )
