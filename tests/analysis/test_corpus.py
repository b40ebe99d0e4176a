"""tag_corpus: one row per unit of every document, nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import policyclf


def test_one_row_per_sentence_with_offsets_into_the_document(
    tagged: pd.DataFrame, docs: pd.DataFrame
) -> None:
    texts = docs.set_index("doc")["text"]
    ok = tagged[tagged.error == ""]
    assert ok.groupby("doc").size().to_dict() == {"a": 3, "b": 3, "c": 3, "d": 3}
    for _, r in ok.iterrows():
        assert texts[r.doc][r.start : r.end] == r.text


def test_columns_metadata_and_scores_match_tag(
    model: policyclf.Model, tagged: pd.DataFrame
) -> None:
    cols = list(tagged.columns)
    assert cols[0] == "doc"
    assert {"year", "issuer", "paragraph", "sentence", "unit", "headings"} <= set(cols)
    assert cols[-1] == "error"
    assert cols.index("year") < cols.index("text") < cols.index("labels")
    row = tagged[(tagged.doc == "a") & (tagged.unit == 1)].iloc[0]
    t = model.tag(row.text)
    assert row.labels == ";".join(t.labels)
    for k in model.labels:
        assert row[f"score_{k}"] == pytest.approx(t.scores[k])
    assert row.headings == "一、人才引进"
    assert row.issuer == "甲市"


def test_unreadable_and_empty_documents_give_one_error_row_each(
    tagged: pd.DataFrame, docs: pd.DataFrame
) -> None:
    bad = tagged[tagged.error != ""]
    assert sorted(bad.doc) == ["broken", "empty"]
    assert (bad.unit == 0).all() and (bad.labels == "").all()
    assert bad[[c for c in tagged.columns if c.startswith("score_")]].isna().all().all()
    assert "empty" in bad.set_index("doc").at["empty", "error"]
    assert set(tagged.doc) == set(docs.doc)  # nothing lost


def test_paragraph_units(model: policyclf.Model, docs: pd.DataFrame) -> None:
    out = model.tag_corpus(docs, unit="paragraph", id_col="doc")
    assert "sentence" not in out.columns
    a = out[out.doc == "a"]
    assert list(a.paragraph) == [1, 2] and list(a.unit) == [1, 2]
    text = docs.set_index("doc").at["a", "text"]
    assert all(text[s:e] == t for s, e, t in zip(a.start, a.end, a.text, strict=True))


def test_sentences_are_numbered_within_paragraphs(tagged: pd.DataFrame) -> None:
    b = tagged[tagged.doc == "b"]
    assert list(zip(b.paragraph, b.sentence, b.unit, strict=True)) == [
        (1, 1, 1),
        (2, 1, 2),
        (2, 2, 3),
    ]


def test_input_is_not_modified_and_bad_arguments_are_refused(
    model: policyclf.Model, docs: pd.DataFrame
) -> None:
    before = docs.copy()
    model.tag_corpus(docs, id_col="doc")
    pd.testing.assert_frame_equal(docs, before)
    with pytest.raises(ValueError, match="unit"):
        model.tag_corpus(docs, unit="document")
    clash = docs.assign(labels="x")
    with pytest.raises(ValueError, match="labels"):
        model.tag_corpus(clash)


def test_error_rows_have_nan_scores_and_others_do_not(tagged: pd.DataFrame) -> None:
    scores = tagged[[c for c in tagged.columns if c.startswith("score_")]].to_numpy()
    ok = (tagged.error == "").to_numpy()
    assert np.isfinite(scores[ok]).all() and np.isnan(scores[~ok]).all()


def test_a_folder_of_files_with_a_broken_one(model: policyclf.Model, tmp_path: Path) -> None:
    from .conftest import SENTENCES

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(SENTENCES["talent"] + SENTENCES["none"], encoding="utf-8")
    (folder / "b.html").write_text(
        f"<html><head><title>通知</title></head><body><p>{SENTENCES['platform']}</p></body></html>",
        encoding="utf-8",
    )
    (folder / "c.docx").write_bytes(b"PK\x03\x04 not really a zip")
    out = model.tag_corpus(folder)
    assert sorted(set(out.doc)) == ["a.txt", "b.html", "c.docx"]
    bad = out[out.error != ""]
    assert list(bad.doc) == ["c.docx"] and "c.docx" in bad.error.iloc[0]
    a = out[out.doc == "a.txt"]
    assert len(a) == 2 and a.labels.iloc[0] != ""
    assert "platform" in out[out.doc == "b.html"].labels.iloc[0]


def test_a_jsonl_table_of_documents_with_ids(model: policyclf.Model, tmp_path: Path) -> None:
    from .conftest import SENTENCES

    f = tmp_path / "docs.jsonl"
    rows = [{"id": f"r{i}", "year": 2010 + i, "text": SENTENCES["transfer"]} for i in range(3)]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = model.tag_corpus(f, id_col="id")
    assert list(out.doc) == ["r0", "r1", "r2"] and list(out.year) == [2010, 2011, 2012]
