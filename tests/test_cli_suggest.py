"""Tests for ``policyclf suggest`` and ``policyclf taxonomy --labelstudio-config``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from policyclf.cli.main import main

DOCS = Path(__file__).parent / "data" / "documents"


def test_suggest_writes_labelstudio_tasks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "batch.json"
    assert main(["suggest", str(DOCS), "-n", "7", "-o", str(out)]) == 0
    tasks = json.loads(out.read_text("utf-8"))
    assert len(tasks) == 7
    assert all(t["predictions"][0]["model_version"] == "policyclf default" for t in tasks)
    err = capsys.readouterr().err
    assert "suggested 7 of" in err and str(out) in err
    # the same command again: the file exists, nothing is changed
    before = out.read_bytes()
    assert main(["suggest", str(DOCS), "-n", "7", "-o", str(out)]) == 2
    assert out.read_bytes() == before
    assert "already exists" in capsys.readouterr().err
    # an earlier batch is excluded from the next one
    nxt = tmp_path / "next.csv"
    assert main(["suggest", str(DOCS), "-n", "7", "--exclude", str(out), "-o", str(nxt)]) == 0
    frame = pd.read_csv(nxt, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert not set(frame["text"]) & {t["data"]["text"] for t in tasks}
    assert (frame["labels"] == "").all()


def test_suggest_to_stdout_as_jsonl_and_doccano(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["suggest", str(DOCS), "-n", "3", "--strategy", "random", "--seed", "2"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3 and all(r["reason"] == "random" for r in rows)
    assert main(["suggest", str(DOCS), "-n", "3", "--format", "doccano"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert all(isinstance(r["label"], list) and r["document"] for r in rows)


def test_suggest_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["suggest", str(tmp_path / "missing"), "-n", "3"]) == 1
    assert "missing" in capsys.readouterr().err
    assert main(["suggest", str(DOCS), "-n", "0"]) == 2
    assert main(["suggest", str(DOCS), "-o", str(tmp_path / "b.xml")]) == 2
    assert "cannot tell the batch format" in capsys.readouterr().err
    assert not (tmp_path / "b.xml").exists()


def test_taxonomy_labelstudio_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["taxonomy", "--labelstudio-config"]) == 0
    root = ET.fromstring(capsys.readouterr().out)
    assert [c.get("alias") for c in root.iter("Choice")] == [
        "platform",
        "talent",
        "finance",
        "transfer",
        "governance",
    ]
    assert main(["taxonomy", "--labelstudio-config", "--json"]) == 2
