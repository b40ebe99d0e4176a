"""Tests for policyclf.corpus: the generated jsonl files, ids, offsets, labels and their rules."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from policyclf.corpus import (
    CITIES,
    RAW_NAME,
    RAW_SHA256,
    build_corpus,
    check_consistency,
    check_corpus,
    format_label_counts,
    load_labels,
    load_paragraphs,
    load_sentences,
    main,
)
from policyclf.exceptions import LabelFileError
from policyclf.resources import data_path

RAW = data_path("corpus", "raw", RAW_NAME)
PARAGRAPH_IDS = [
    "jinan-00-1", "jinan-00-2", "jinan-01-1", "jinan-01-2", "jinan-01-3", "jinan-02-1",
    "jinan-02-2", "jinan-02-3", "jinan-03-1", "jinan-03-2", "jinan-03-3", "jinan-03-4",
    "jinan-04-1", "jinan-04-2", "zhengzhou-00-1", "zhengzhou-01-1", "zhengzhou-02-1",
    "zhengzhou-03-1", "zhengzhou-04-1", "zhengzhou-05-1", "changzhou-00-1", "changzhou-01-1",
    "changzhou-01-2", "changzhou-02-1", "changzhou-02-2", "changzhou-03-1", "changzhou-03-2",
    "changzhou-03-3", "changzhou-04-1", "changzhou-04-2", "jinjiang-00-1", "jinjiang-01-1",
    "jinjiang-01-2", "jinjiang-01-3", "jinjiang-02-1", "jinjiang-02-2", "jinjiang-02-3",
    "jinjiang-03-1", "jinjiang-03-2", "jinjiang-03-3", "jinjiang-03-4",
]  # fmt: skip


@pytest.fixture(scope="module")
def raw_text() -> str:
    return RAW.read_bytes().decode("utf-8")


@pytest.fixture(scope="module")
def paragraphs() -> list[dict]:
    return load_paragraphs()


@pytest.fixture(scope="module")
def sentences() -> list[dict]:
    return load_sentences()


def test_raw_file_is_the_seed() -> None:
    assert hashlib.sha256(RAW.read_bytes()).hexdigest() == RAW_SHA256


def test_jsonl_files_are_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_corpus() == []
    assert main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_check_reports_stale_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "raw").mkdir()
    shutil.copy(RAW, tmp_path / "raw" / RAW_NAME)
    paragraphs, sentences = build_corpus(tmp_path / "raw" / RAW_NAME, tmp_path)
    assert paragraphs == load_paragraphs() and sentences == load_sentences()
    args = ["--check", "--raw", str(tmp_path / "raw" / RAW_NAME), "--out", str(tmp_path)]
    assert main(args) == 0
    stale = tmp_path / "sentences.jsonl"
    stale.write_text(stale.read_text(encoding="utf-8").replace("济南", "泉城", 1), encoding="utf-8")
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "out of date" in out and "sentences.jsonl" in out and "泉城" in out
    (tmp_path / "paragraphs.jsonl").unlink()
    assert any("missing" in p for p in check_corpus(tmp_path / "raw" / RAW_NAME, tmp_path))


def test_jsonl_format() -> None:
    for name in ("paragraphs.jsonl", "sentences.jsonl"):
        content = data_path("corpus", name).read_text(encoding="utf-8")
        assert content.endswith("}\n") and "\\u" not in content and "济南" in content
        for line in content.splitlines():
            assert json.loads(line)


def test_paragraph_ids_follow_the_scheme(paragraphs: list[dict]) -> None:
    assert [p["id"] for p in paragraphs] == PARAGRAPH_IDS
    pattern = re.compile(r"^(jinan|zhengzhou|changzhou|jinjiang)-\d{2}-[1-9]\d*$")
    assert all(pattern.match(p["id"]) for p in paragraphs)
    for p in paragraphs:
        city, sec, _ = p["id"].split("-")
        assert p["city"] == city
        assert p["doc"] == "raw/" + RAW_NAME
        name = next(n for n, (slug, _) in CITIES.items() if slug == city)
        assert p["province"] == CITIES[name][1]
        assert p["headings"][:3] == ["第四节", "实施创新驱动发展战略的地方实践", p["headings"][2]]
        assert p["headings"][2].endswith(name)
        if sec == "00":
            assert len(p["headings"]) == 3
        else:
            assert p["headings"][3].startswith(f"({int(sec)})")
    assert paragraphs[31]["lead"] == "一是构建强力的工作机制。"


def test_offsets_point_into_the_raw_file(
    raw_text: str, paragraphs: list[dict], sentences: list[dict]
) -> None:
    for record in (*paragraphs, *sentences):
        assert raw_text[record["start"] : record["end"]] == record["text"]


def test_sentences_tile_their_paragraphs(paragraphs: list[dict], sentences: list[dict]) -> None:
    ids = [s["id"] for s in sentences]
    assert len(ids) == len(set(ids))
    by_paragraph: dict[str, list[dict]] = {p["id"]: [] for p in paragraphs}
    for s in sentences:
        by_paragraph[s["paragraph"]].append(s)
    for p in paragraphs:
        own = by_paragraph[p["id"]]
        assert own, p["id"]
        assert [s["id"] for s in own] == [f"{p['id']}-s{k}" for k in range(1, len(own) + 1)]
        pos = p["start"]
        for s in own:
            assert pos <= s["start"] < s["end"] <= p["end"]
            assert p["text"][pos - p["start"] : s["start"] - p["start"]].strip() == ""
            pos = s["end"]
        assert p["text"][pos - p["start"] :].strip() == ""


# --------------------------------------------------------------------------------------------
# Label files: validation on files written here


VALID = ("platform", "talent", "finance", "transfer", "governance")


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("id,labels,note\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_load_labels_reads_a_valid_file(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "paragraphs.csv",
        [f"{pid},," for pid in PARAGRAPH_IDS[1:]] + ["jinan-00-1,finance; platform,note"],
    )
    labels = load_labels("paragraph", path=path, valid_ids=VALID)
    assert list(labels) == PARAGRAPH_IDS
    assert labels["jinan-00-1"] == ("platform", "finance")  # taxonomy order
    assert labels["jinan-00-2"] == ()


def test_load_labels_reports_every_problem(tmp_path: Path) -> None:
    rows = [f"{pid},governance," for pid in PARAGRAPH_IDS[3:]]
    rows += [
        "jinan-00-1,money,",
        "jinan-00-1,talent,",
        "nowhere-01-1,talent,",
        "jinan-01-1,talent;;,",
    ]
    path = write_csv(tmp_path / "paragraphs.csv", rows)
    with pytest.raises(LabelFileError) as info:
        load_labels("paragraph", path=path, valid_ids=VALID)
    problems = info.value.problems
    first_bad = len(rows) - 2  # row number of "jinan-00-1,money," (header is row 1)
    assert f"{path}: row {first_bad}: id 'jinan-00-1': unknown label 'money'" in problems[0]
    assert any(f"row {first_bad + 1}: id 'jinan-00-1' already labelled" in p for p in problems)
    assert any("unknown id 'nowhere-01-1'" in p for p in problems)
    assert any(f"row {first_bad + 3}: empty label in 'talent;;'" in p for p in problems)
    assert any("'jinan-00-2' is not labelled" in p for p in problems)
    assert all(str(path) in p for p in problems)


def test_load_labels_missing_file_and_bad_header(tmp_path: Path) -> None:
    with pytest.raises(LabelFileError, match="file not found"):
        load_labels("sentence", path=tmp_path / "nope.csv", valid_ids=VALID)
    bad = tmp_path / "bad.csv"
    bad.write_text("key,labels\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"row 1: .*lacks column\(s\) id"):
        load_labels("sentence", path=bad, valid_ids=VALID)


def test_check_consistency_finds_violations() -> None:
    paragraph_labels = {"jinan-00-1": ("platform",), "jinan-00-2": ("talent", "finance")}
    sentence_labels = {
        "jinan-00-1-s1": ("platform",),
        "jinan-00-2-s1": (),
        "jinan-00-2-s2": ("talent", "governance"),
    }
    problems = check_consistency(paragraph_labels, sentence_labels)
    assert len(problems) == 1
    assert problems[0].startswith("jinan-00-2:")
    assert "finance" in problems[0] and "governance" in problems[0]


def test_format_label_counts() -> None:
    counts = {
        "platform": {"paragraphs": 3, "sentences": 5},
        "none": {"paragraphs": 1, "sentences": 7},
        "total": {"paragraphs": 4, "sentences": 12},
    }
    table = format_label_counts(counts).splitlines()
    assert table[0] == "| label | paragraphs | sentences |"
    assert table[2:] == ["| `platform` | 3 | 5 |", "| (none) | 1 | 7 |", "| **total** | 4 | 12 |"]


# --------------------------------------------------------------------------------------------
# The bundled label files (written by hand; these pass once they exist)

needs_labels = pytest.mark.skipif(
    not data_path("labels", "paragraphs.csv").exists()
    or not data_path("labels", "sentences.csv").exists(),
    reason="labels/paragraphs.csv and labels/sentences.csv not written yet",
)


@needs_labels
def test_bundled_labels_are_complete_and_valid(
    paragraphs: list[dict], sentences: list[dict]
) -> None:
    from policyclf.taxonomy import load_taxonomy

    ids = set(load_taxonomy().ids)
    for level, records in (("paragraph", paragraphs), ("sentence", sentences)):
        labels = load_labels(level)  # type: ignore[arg-type]
        assert list(labels) == [r["id"] for r in records]
        assert all(set(v) <= ids for v in labels.values())


@needs_labels
def test_bundled_labels_follow_the_union_rule() -> None:
    assert check_consistency() == []


@needs_labels
def test_labelled_corpus_and_counts(paragraphs: list[dict]) -> None:
    from policyclf.corpus import label_counts, labelled_corpus

    texts = labelled_corpus("paragraph")
    assert [t.id for t in texts] == PARAGRAPH_IDS
    assert {t.group for t in texts} == {"jinan", "zhengzhou", "changzhou", "jinjiang"}
    sentence_texts = labelled_corpus("sentence")
    assert sentence_texts[0].group == "jinan" and sentence_texts[-1].group == "jinjiang"
    counts = label_counts()
    assert counts["total"] == {"paragraphs": 41, "sentences": len(sentence_texts)}
    assert "| **total** | 41 |" in format_label_counts(counts)
