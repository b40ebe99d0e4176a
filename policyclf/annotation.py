"""Batches for annotation tools, pre-annotated with the model's labels.

A batch is the DataFrame :func:`policyclf.active.suggest` returns. It is written as

* **Label Studio** tasks JSON (:func:`labelstudio_tasks`): each task's ``data`` holds the text,
  the suggestion id (``ref``), the document (``document``) and the reason it was chosen, and its
  ``predictions`` hold the model's labels (a ``choices`` result for the interface of
  :func:`labelstudio_config`) with a ``score``, so coders correct rather than start blank;
* **doccano** JSONL (:func:`doccano_records`): ``text``, ``label`` (the model's labels, imported
  by doccano as a pre-annotation) and the other fields, which doccano keeps as metadata and
  writes back on export;
* **CSV** for Excel coders (:func:`csv_frame`): an empty ``labels`` column to fill in, the
  model's labels beside it in ``model_labels``;
* plain **JSONL**, the batch as it is.

What the tools export comes back through :func:`policyclf.labelfiles.read_labelled` (and so
``policyclf.train(extra=...)``) unchanged: Label Studio's JSON export, doccano's JSONL export and
the filled-in CSV are all read directly, with the document as the row's group.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import quoteattr

if TYPE_CHECKING:
    import pandas as pd

    from .taxonomy import Taxonomy

__all__ = [
    "BATCH_FORMATS",
    "FROM_NAME",
    "TO_NAME",
    "csv_frame",
    "doccano_records",
    "labelstudio_config",
    "labelstudio_tasks",
    "write_batch",
]

#: The formats :func:`write_batch` writes.
BATCH_FORMATS: tuple[str, ...] = ("labelstudio", "doccano", "csv", "jsonl")

#: The names of the Choices control and the Text object in :func:`labelstudio_config`.
FROM_NAME = "measure"
TO_NAME = "text"

_HOTKEYS = "1234567890qwertyuiop"
_INSTRUCTION = (
    "选择文本包含的全部政策措施（可多选；不含措施则不选）— choose every measure the text "
    "contains; select none for no measure"
)


def labelstudio_config(taxonomy: Taxonomy | None = None) -> str:
    """The Label Studio labelling interface (XML) for ``taxonomy`` (default: the bundled one).

    One multiple-choice ``Choices`` control named :data:`FROM_NAME` over the text: one choice per
    category, shown with its Chinese and English names, hotkeys 1, 2, 3… in taxonomy order, and
    the definition as a hint. Each choice's ``alias`` is the category id, so exports carry ids.
    Selecting nothing means no measure.
    """
    from .taxonomy import load_taxonomy

    tax = taxonomy or load_taxonomy()
    if len(tax.categories) > len(_HOTKEYS):
        raise ValueError(f"{len(tax.categories)} categories: more than {len(_HOTKEYS)} hotkeys")
    lines = [
        "<View>",
        f"  <Header value={quoteattr(f'{tax.name_zh} {tax.name} (codebook {tax.version})')}/>",
        f'  <Text name="{TO_NAME}" value="$text"/>',
        f'  <Header value={quoteattr(_INSTRUCTION)} size="6"/>',
        f'  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="multiple" showInline="false">',
    ]
    for c, key in zip(tax.categories, _HOTKEYS, strict=False):
        hint = " ".join(c.definition.split())
        lines.append(
            f"    <Choice value={quoteattr(f'{c.name_zh} {c.name_en}')} alias={quoteattr(c.id)}"
            f" hotkey={quoteattr(key)} hint={quoteattr(hint)}/>"
        )
    lines += ["  </Choices>", "</View>", ""]
    return "\n".join(lines)


def labelstudio_tasks(
    batch: pd.DataFrame, model_version: str = "policyclf"
) -> list[dict[str, Any]]:
    """Label Studio tasks, one per batch row, with the model's labels as a prediction."""
    tasks = []
    for row in _records(batch):
        labels = _labels(row.get("labels"))
        data: dict[str, Any] = {"text": row["text"], "ref": str(row["id"])}
        if _present(row.get("doc")):
            data["document"] = str(row["doc"])
        if _present(row.get("reason")):
            data["reason"] = str(row["reason"])
        result = (
            [
                {
                    "from_name": FROM_NAME,
                    "to_name": TO_NAME,
                    "type": "choices",
                    "value": {"choices": labels},
                }
            ]
            if labels
            else []
        )
        task: dict[str, Any] = {
            "data": data,
            "predictions": [
                {"model_version": model_version, "score": _confidence(row), "result": result}
            ],
        }
        tasks.append(task)
    return tasks


def doccano_records(batch: pd.DataFrame) -> list[dict[str, Any]]:
    """doccano text-classification import lines: text, pre-annotated label list, metadata."""
    out = []
    for row in _records(batch):
        rec: dict[str, Any] = {"text": row["text"], "label": _labels(row.get("labels"))}
        rec["ref"] = str(row["id"])
        if _present(row.get("doc")):
            rec["document"] = str(row["doc"])
        if _present(row.get("reason")):
            rec["reason"] = str(row["reason"])
        out.append(rec)
    return out


def csv_frame(batch: pd.DataFrame) -> pd.DataFrame:
    """The batch for spreadsheet coders: ``id, text, labels`` (empty), ``document``,
    ``model_labels``, ``reason`` and the scores."""
    import pandas as pd

    scores = [c for c in batch.columns if str(c).startswith("score_")]
    out = pd.DataFrame(
        {
            "id": batch["id"].astype(str),
            "text": batch["text"],
            "labels": "",
            "document": batch.get("doc"),
            "model_labels": batch.get("labels", ""),
            "reason": batch.get("reason", ""),
        }
    )
    for c in scores:
        out[c] = batch[c].round(4)
    return out


def write_batch(
    batch: pd.DataFrame,
    path: str | os.PathLike[str],
    format: str | None = None,
    *,
    model_version: str = "policyclf",
    overwrite: bool = False,
) -> Path:
    """Write ``batch`` as ``format`` (default: from the extension: ``.json`` → Label Studio,
    ``.csv`` → CSV with a byte-order mark for Excel, ``.jsonl`` → JSONL). The file is written
    whole or not at all (a temporary file renamed into place).

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is false.
        ValueError: unknown format, or none given and the extension says none.
    """
    p = Path(path)
    fmt = format or {".json": "labelstudio", ".csv": "csv", ".jsonl": "jsonl"}.get(p.suffix.lower())
    if fmt not in BATCH_FORMATS:
        raise ValueError(
            f"{p}: unknown batch format {format or p.suffix!r}; choose one of "
            f"{', '.join(BATCH_FORMATS)} (or use a .json, .csv or .jsonl name)"
        )
    if p.exists() and not overwrite:
        raise FileExistsError(f"{p} already exists; choose another name or remove it")
    _write_atomic(p, render_batch(batch, fmt, model_version=model_version))
    return p


def render_batch(batch: pd.DataFrame, fmt: str, *, model_version: str = "policyclf") -> str:
    """The text :func:`write_batch` writes (the CSV with a byte-order mark)."""
    if fmt == "labelstudio":
        return json.dumps(labelstudio_tasks(batch, model_version), ensure_ascii=False, indent=1)
    if fmt == "doccano":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in doccano_records(batch))
    if fmt == "jsonl":
        return "".join(json.dumps(_plain(r), ensure_ascii=False) + "\n" for r in _records(batch))
    if fmt == "csv":
        buf = io.StringIO()
        csv_frame(batch).to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        return "\ufeff" + buf.getvalue()
    raise ValueError(f"unknown batch format {fmt!r}; choose one of {', '.join(BATCH_FORMATS)}")


# --------------------------------------------------------------------------- helpers


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _records(batch: pd.DataFrame) -> list[dict[str, Any]]:
    for col in ("id", "text"):
        if col not in batch.columns:
            raise ValueError(f"a batch needs columns id and text; it has {list(batch.columns)}")
    return [{str(k): v for k, v in r.items()} for r in batch.to_dict(orient="records")]


def _present(v: object) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v) != ""


def _labels(v: object) -> list[str]:
    if isinstance(v, (list, tuple)):
        return [str(x) for x in v]
    if not _present(v):
        return []
    return [x for x in str(v).split(";") if x]


def _confidence(row: Mapping[str, Any]) -> float:
    """How sure the model is of this text, for Label Studio's "prediction score" column: the
    mean of ``|2p - 1|`` over the label scores (1 = every score is 0 or 1, 0 = all are 0.5)."""
    scores = [float(v) for k, v in row.items() if str(k).startswith("score_") and _present(v)]
    if not scores:
        return 0.0
    return round(sum(abs(2 * s - 1) for s in scores) / len(scores), 4)


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
