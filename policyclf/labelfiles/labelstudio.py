"""Label Studio JSON exports: one task per array item, labels from a Choices or Taxonomy control."""

from __future__ import annotations

import json

from .rows import _REPR, _json_type, _Problems, _Raw

__all__ = []


_MAX_IDS = 20  # skipped Label Studio task ids named in one warning


def _read_label_studio(
    index: int,
    source: str,
    text: str,
    out: list[_Raw],
    probs: _Problems,
    warns: list[tuple[str, type[Warning]]],
) -> None:
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as e:
        probs.add(
            index, source, 0, f"not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})"
        )
        return
    except (ValueError, RecursionError) as e:
        probs.add(index, source, 0, f"not valid JSON ({e})")
        return
    if not isinstance(tasks, list):
        probs.add(index, source, 0, "not a Label Studio export (expected a JSON array of tasks)")
        return
    skipped: list[str] = []
    for n, task in enumerate(tasks, 1):
        if not isinstance(task, dict):
            probs.add(index, source, n, f"task is not a JSON object (got {_json_type(task)})")
            continue
        tid = task.get("id")
        note = f" (task id {tid})" if tid is not None else ""
        data = task.get("data")
        if not isinstance(data, dict):
            probs.add(
                index,
                source,
                n,
                f"task has no 'data' object{note}; export with Label Studio's 'JSON' format "
                "(not JSON-MIN or CSV)",
            )
            continue
        body = data.get("text")
        if not isinstance(body, str):
            body = next((v for v in data.values() if isinstance(v, str)), None)
        if body is None:
            probs.add(index, source, n, f"task data has no text{note}")
            continue
        annotations = task.get("annotations") or []
        if not isinstance(annotations, list):
            probs.add(index, source, n, f"'annotations' is not a list{note}")
            continue
        usable = [
            (str(a.get("updated_at") or a.get("created_at") or ""), i, a)
            for i, a in enumerate(annotations)
            if isinstance(a, dict) and not a.get("was_cancelled")
        ]
        if not usable:
            skipped.append(str(tid) if tid is not None else f"#{n}")
            continue
        labels = _choices(max(usable, key=lambda t: (t[0], t[1]))[2].get("result"))
        if isinstance(labels, str):
            probs.add(index, source, n, labels + note)
            continue
        group = data.get("group", data.get("document"))
        out.append(_Raw(index, source, n, body, labels, tid, group, note))
    if skipped:
        shown = ", ".join(skipped[:_MAX_IDS]) + (" ..." if len(skipped) > _MAX_IDS else "")
        warns.append(
            (
                f"{source}: skipped {len(skipped)} task(s) with no usable annotation "
                f"(none, or all cancelled): task ids {shown}",
                UserWarning,
            )
        )


def _choices(result: object) -> list[str] | str:
    """The chosen labels of one annotation's result, or a problem message."""
    if result is None:
        return []
    if not isinstance(result, list):
        return "annotation 'result' is not a list"
    labels: list[str] = []
    found = False
    other: set[str] = set()
    for item in result:
        if not isinstance(item, dict):
            return "annotation result item is not a JSON object"
        kind = item.get("type")
        value = item.get("value")
        value = value if isinstance(value, dict) else {}
        if kind == "choices":
            found = True
            choices = value.get("choices")
            if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
                return f"'choices' is not a list of strings: {_REPR.repr(choices)}"
            labels += choices
        elif kind == "taxonomy":  # a Taxonomy control: paths like ["金融/资金", "贷款"]
            found = True
            paths = value.get("taxonomy")
            if not isinstance(paths, list) or not all(
                isinstance(p, list) and p and all(isinstance(x, str) for x in p) for p in paths
            ):
                return f"'taxonomy' is not a list of lists of strings: {_REPR.repr(paths)}"
            labels += [p[0] for p in paths]
        else:
            other.add(str(kind))
    if result and not found:
        kinds = ", ".join(sorted(other))
        return (
            f"annotation has no 'choices' result (result types found: {kinds}); "
            "policyclf reads labels from a Choices control"
        )
    return labels
