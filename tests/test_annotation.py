"""Tests for policyclf.annotation: batches for Label Studio, doccano and Excel, and back.

The "exports" below are shaped like the tools' real exports: Label Studio's JSON export as
written by a Label Studio 1.23 server in tests/test_labelstudio_roundtrip.py (task id,
annotations with result/was_cancelled/completed_by/lead_time, predictions as ids, data as
imported), and doccano's JSONL export of a text-classification project (doccano's
``ExportedExample.to_dict``: ``{"id", "text", **meta}`` plus ``"label"``).
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import policyclf
from policyclf.annotation import (
    FROM_NAME,
    TO_NAME,
    csv_frame,
    doccano_records,
    labelstudio_config,
    labelstudio_tasks,
    render_batch,
    write_batch,
)
from policyclf.labelfiles import read_labelled

TEXTS = [
    "对新引进的全职博士给予每人15万元安家补贴，并优先安排人才公寓。",
    "支持龙头企业牵头组建省级技术创新中心，按建设投入给予最高500万元补助。",
    "建立技术经纪人培训和职称评价制度，培育专业化技术转移机构。",
    "2022年全市高新技术企业数量达到1500家，同比增长百分之十二。",
    "推行科研项目经费包干制，赋予科研人员更大技术路线决定权。",
]
# what a coder decides for each text (taxonomy order)
CODED: list[tuple[str, ...]] = [
    ("talent", "finance"),
    ("platform", "finance"),
    ("transfer",),
    (),
    ("governance",),
]


@pytest.fixture(scope="module")
def model() -> policyclf.Model:
    return policyclf.load()


@pytest.fixture(scope="module")
def batch(model: policyclf.Model) -> pd.DataFrame:
    df = pd.DataFrame({"id": [f"x{i}" for i in range(5)], "text": TEXTS, "doc": "notice-7"})
    s = model.suggest(df, n=5, exclude_training=False, min_chars=1)
    assert len(s) == 5
    return s


def test_labelstudio_config_is_a_multiple_choice_interface() -> None:
    tax = policyclf.load_taxonomy()
    root = ET.fromstring(labelstudio_config(tax))
    assert root.tag == "View"
    text = root.find("Text")
    assert text is not None and text.get("name") == TO_NAME and text.get("value") == "$text"
    choices = root.find("Choices")
    assert choices is not None
    assert choices.get("name") == FROM_NAME and choices.get("toName") == TO_NAME
    assert choices.get("choice") == "multiple"
    items = choices.findall("Choice")
    assert [c.get("alias") for c in items] == list(tax.ids)
    assert [c.get("hotkey") for c in items] == ["1", "2", "3", "4", "5"]
    for c, cat in zip(items, tax.categories, strict=True):
        assert cat.name_zh in (c.get("value") or "") and cat.name_en in (c.get("value") or "")
        assert c.get("hint")


def test_labelstudio_tasks_carry_the_models_labels_as_predictions(
    model: policyclf.Model, batch: pd.DataFrame
) -> None:
    tasks = labelstudio_tasks(batch, "policyclf default")
    assert len(tasks) == 5
    for task, (_, row) in zip(tasks, batch.iterrows(), strict=True):
        assert task["data"] == {
            "text": row["text"],
            "ref": row["id"],
            "document": "notice-7",
            "reason": row["reason"],
        }
        (pred,) = task["predictions"]
        assert pred["model_version"] == "policyclf default"
        assert 0.0 <= pred["score"] <= 1.0
        chosen = [c for r in pred["result"] for c in r["value"]["choices"]]
        assert chosen == list(model.tag(row["text"]).labels)
        for r in pred["result"]:
            assert (r["from_name"], r["to_name"], r["type"]) == (FROM_NAME, TO_NAME, "choices")


def _labelstudio_export(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tasks as Label Studio exports them after a coder corrected the pre-annotations."""
    out = []
    for n, task in enumerate(tasks, 1):
        coded = CODED[TEXTS.index(task["data"]["text"])]
        result = (
            [
                {
                    "from_name": FROM_NAME,
                    "to_name": TO_NAME,
                    "type": "choices",
                    "value": {"choices": list(coded)},
                    "origin": "manual",
                }
            ]
            if coded
            else []
        )
        out.append(
            {
                "id": n,
                "annotations": [
                    {
                        "id": n,
                        "completed_by": 1,
                        "result": result,
                        "was_cancelled": False,
                        "ground_truth": False,
                        "created_at": "2026-12-02T16:09:48.865046Z",
                        "updated_at": "2026-12-02T16:09:48.865084Z",
                        "lead_time": 4.2,
                        "result_count": len(result),
                        "task": n,
                        "project": 1,
                        "parent_prediction": n,
                    }
                ],
                "drafts": [],
                "predictions": [n],
                "data": task["data"],
                "meta": {},
                "inner_id": n,
                "total_annotations": 1,
                "cancelled_annotations": 0,
                "total_predictions": 1,
                "project": 1,
            }
        )
    return out


def test_labelstudio_round_trip(batch: pd.DataFrame, tmp_path: Path) -> None:
    tasks_file = write_batch(batch, tmp_path / "batch.json")
    tasks = json.loads(tasks_file.read_text("utf-8"))
    export = tmp_path / "project-1-at-2026-12-02.json"
    export.write_text(json.dumps(_labelstudio_export(tasks), ensure_ascii=False), "utf-8")
    rows = read_labelled(export)
    assert {r.text: r.labels for r in rows} == dict(zip(TEXTS, CODED, strict=True))
    assert {r.group for r in rows} == {"notice-7"}
    m = policyclf.train(extra=export, evaluate=False)
    assert m.metadata["added_rows"] == 5


def test_doccano_round_trip(model: policyclf.Model, batch: pd.DataFrame, tmp_path: Path) -> None:
    out = write_batch(batch, tmp_path / "batch.jsonl", "doccano")
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert lines == doccano_records(batch)
    for rec in lines:
        assert rec["label"] == list(model.tag(rec["text"]).labels)
        assert rec["document"] == "notice-7"
    # doccano imports `label` as the uploader's annotation and the other keys as metadata,
    # and exports {"id", "text", **meta, "label"}
    exported = tmp_path / "admin.jsonl"
    with exported.open("w", encoding="utf-8") as fh:
        for n, rec in enumerate(lines, 1):
            meta = {k: v for k, v in rec.items() if k not in ("text", "label")}
            coded = CODED[TEXTS.index(rec["text"])]
            fh.write(
                json.dumps(
                    {"id": n, "text": rec["text"], **meta, "label": list(coded)},
                    ensure_ascii=False,
                )
                + "\n"
            )
    rows = read_labelled(exported)
    assert {r.text: r.labels for r in rows} == dict(zip(TEXTS, CODED, strict=True))
    assert {r.group for r in rows} == {"notice-7"}


def test_csv_for_excel_round_trip(batch: pd.DataFrame, tmp_path: Path) -> None:
    out = write_batch(batch, tmp_path / "batch.csv")
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())  # Excel shows Chinese correctly
    frame = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(frame.columns[:6]) == ["id", "text", "labels", "document", "model_labels", "reason"]
    assert (frame["labels"] == "").all()
    assert list(frame["model_labels"]) == list(batch["labels"])
    # the coder fills in the labels column (Chinese names, as in Excel) and saves
    names = {c.id: c.name_zh for c in policyclf.load_taxonomy().categories}
    coded = {t: c for t, c in zip(TEXTS, CODED, strict=True)}
    frame["labels"] = [";".join(names[k] for k in coded[t]) for t in frame["text"]]
    frame.to_csv(out, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL)
    rows = read_labelled(out)
    assert {r.text: r.labels for r in rows} == coded
    assert {r.group for r in rows} == {"notice-7"}
    assert csv_frame(batch)["labels"].eq("").all()


def test_write_batch_never_overwrites_or_leaves_partial_files(
    batch: pd.DataFrame, tmp_path: Path
) -> None:
    target = tmp_path / "batch.json"
    target.write_text("keep", "utf-8")
    with pytest.raises(FileExistsError, match="already exists"):
        write_batch(batch, target)
    assert target.read_text("utf-8") == "keep"
    write_batch(batch, target, overwrite=True)
    assert json.loads(target.read_text("utf-8"))[0]["data"]["text"] == batch.iloc[0]["text"]
    with pytest.raises(ValueError, match="unknown batch format"):
        write_batch(batch, tmp_path / "batch.xml")
    with pytest.raises(ValueError, match="needs columns id and text"):
        render_batch(pd.DataFrame({"x": [1]}), "jsonl")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.json"]


def test_jsonl_batch_is_the_frame(batch: pd.DataFrame) -> None:
    lines = [json.loads(x) for x in render_batch(batch, "jsonl").splitlines()]
    assert [x["id"] for x in lines] == list(batch["id"])
    assert set(lines[0]) == set(batch.columns)
