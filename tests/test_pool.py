"""The coded pool sentences: valid, current, shipped without text, and enough to train anywhere."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import policyclf
from policyclf.exceptions import LabelFileError, TaxonomyError
from policyclf.features import AnalysedText, Featurizer
from policyclf.frames import load_frames
from policyclf.pool import (
    analysis_featurizer,
    check_spans,
    find_pool,
    load_pool_labels,
    pool_texts,
    pool_training_texts,
    write_features,
)
from policyclf.resources import data_path

POOL = find_pool()
needs_pool = pytest.mark.skipif(POOL is None, reason="../shared/pool is not on this machine")


def test_the_coded_pool_meets_the_sampling_plan() -> None:
    spans = load_pool_labels()
    train = [s for s in spans if s.split == "train"]
    test = [s for s in spans if s.split == "test"]
    assert len(train) >= 2000 and len({s.doc for s in train}) >= 120
    assert len(test) >= 700 and len({s.doc for s in test}) >= 25
    # the held-out documents never lend a sentence to training
    assert not {s.doc for s in train} & {s.doc for s in test}
    # both files of the pool, several decades of work reports
    test_docs = {s.doc for s in test}
    assert any(d.startswith("gwr-") for d in test_docs)
    assert any(d.startswith(("central-", "shandong-")) for d in test_docs)
    assert len({d[:7] for d in test_docs if d.startswith("gwr-")}) >= 5
    # each of the five labels has coded examples in training
    counts = Counter(k for s in train for k in s.labels)
    assert all(counts[k] >= 40 for k in policyclf.load_taxonomy().ids), counts
    # spans are unique
    assert len({(s.doc, s.start, s.end) for s in spans}) == len(spans)


def test_second_coding_covers_at_least_400_training_sentences() -> None:
    train = {(s.doc, int(s.start), int(s.end)) for s in load_pool_labels("train")}
    with data_path("labels", "pool", "second_coding.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 400
    assert all((r["doc"], int(r["start"]), int(r["end"])) in train for r in rows)
    agreement = data_path("labels", "pool", "AGREEMENT.md").read_text(encoding="utf-8")
    assert "Cohen's kappa" in agreement


def test_bad_pool_labels_name_the_row(tmp_path: Path) -> None:
    bad = tmp_path / "sentences.csv"
    bad.write_text(
        "split,doc,start,end,sha1,stratum,labels,coder\n"
        "train,central-001,10,5,abc,position,talnet,A\n"
        "dev,central-001,1,5,abc,position,,A\n",
        encoding="utf-8",
    )
    with pytest.raises(LabelFileError) as e:
        load_pool_labels(path=bad)
    msg = str(e.value)
    assert "row 2" in msg and "talnet" in msg and "10-5" in msg and "row 3" in msg and "dev" in msg


@needs_pool
def test_pool_label_hashes_are_current() -> None:
    assert check_spans(load_pool_labels(), pool_texts()) == []


@needs_pool
def test_shipped_analysis_is_what_the_pool_gives(tmp_path: Path) -> None:
    out = write_features(out=tmp_path / "features.jsonl.gz")
    shipped = data_path("labels", "pool", "features.jsonl.gz")
    assert out.read_bytes() == shipped.read_bytes(), (
        "labels/pool/features.jsonl.gz is stale: run `python -m policyclf.pool --write-features`"
    )


def test_training_rows_come_from_the_shipped_analysis_without_the_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("training must not read ../shared/pool")

    import policyclf.pool
    from policyclf.training import base_rows

    monkeypatch.setattr(policyclf.pool, "pool_texts", no_pool)
    monkeypatch.setenv("POLICYCLF_POOL", "/nonexistent")
    rows = base_rows()
    pool_rows = [r for r in rows if r.source == "labels/pool/sentences.csv"]
    assert len(pool_rows) == len(load_pool_labels("train"))
    assert all(isinstance(r.text, AnalysedText) and r.text.terms for r in pool_rows)
    # the shipped analysis holds no text: keys and terms only
    assert all(r.text.startswith("pool:") for r in pool_rows)


def test_analysed_texts_give_exactly_the_rows_of_their_texts() -> None:
    texts = [
        "对新引进的全职博士给予每人10万元安家补贴。",
        "到2030年，全省建成省级重点实验室200家。",
        "本办法自印发之日起施行。",
        "支持企业与高校共建研发中心，推动成果转化，申报材料见附件。",
        "abc 123",
    ]
    cues = [c.cues for c in policyclf.load_taxonomy().categories] + [f.terms for f in load_frames()]
    feat = Featurizer(cues).fit(texts)
    analysed = [feat.analyse(t, f"k{i}") for i, t in enumerate(texts)]
    a, b = feat.transform(texts), feat.transform(analysed)
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)  # bit for bit
    # fitting on analysed texts learns the same vocabulary and idf
    feat2 = Featurizer(cues).fit(analysed)
    assert feat2.vocabulary == feat.vocabulary and np.array_equal(feat2.idf, feat.idf)
    # mixed batches work, and analysed texts survive pickling (worker processes)
    import pickle

    mixed = [texts[0], analysed[1]]
    assert np.array_equal(feat.transform(mixed).data, feat.transform(texts[:2]).data)
    again = pickle.loads(pickle.dumps(analysed[0]))
    assert again == analysed[0] and again.terms == analysed[0].terms


def test_analysis_featurizer_uses_the_taxonomy_cues_and_the_frames() -> None:
    feat = analysis_featurizer()
    assert len(feat.cues) == len(policyclf.load_taxonomy()) + len(load_frames())


def test_training_texts_cover_every_training_span() -> None:
    items = pool_training_texts()
    assert [s.key for _, s in items] == [s.key for s in load_pool_labels("train")]


def test_frames_file_is_valid_and_errors_name_the_file(tmp_path: Path) -> None:
    frames = load_frames()
    ids = [f.id for f in frames]
    assert len(ids) == len(set(ids)) and {"self", "target", "procedure", "offscope"} <= set(ids)
    target = next(f for f in frames if f.id == "target")
    assert "到2025年" in target.terms and "{YYYY}" not in "".join(target.terms)
    bad = tmp_path / "frames.toml"
    bad.write_text('[[frame]]\nid = "x"\nname = "n"\nterms = []\n', encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"frames\.toml: frame 1 \(x\): 'terms'"):
        load_frames(bad)
    bad.write_text("not toml [", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="not valid"):
        load_frames(bad)


@needs_pool
def test_floor_on_the_held_out_pool_documents() -> None:
    """The held-out pool documents (never trained or tuned on): the shipped model measured
    macro-F1 0.638, 0.953 of no-measure sentences unlabelled, label-share error 0.020
    (benchmarks/ACCURACY.md); floors sit a margin below, so a regression fails here."""
    from policyclf.evaluation import label_metrics

    model = policyclf.load()
    spans = load_pool_labels("test")
    texts = pool_texts()
    X = [texts[s.doc][s.start : s.end] for s in spans]
    Y = np.array([[k in s.labels for k in model.labels] for s in spans])
    P = np.array([[k in t.labels for k in model.labels] for t in model.tag_many(X, evidence=False)])
    m = label_metrics(Y, P, model.labels)
    assert m["macro_f1"] >= 0.58, m
    none = ~Y.any(axis=1)
    assert (~P[none].any(axis=1)).mean() >= 0.90
    docs = np.array([s.doc for s in spans])
    mae = np.mean([np.abs(P[docs == d].mean(0) - Y[docs == d].mean(0)) for d in set(docs)])
    assert mae <= 0.04


@pytest.mark.slow
def test_the_shipped_model_is_reproduced_from_the_shipped_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """train(base=True) without ../shared gives the bundled default model (same coefficients,
    calibration, gate and thresholds): the pool sentences come from their shipped analysis."""
    import policyclf.pool

    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("training must not read ../shared/pool")

    monkeypatch.setattr(policyclf.pool, "pool_texts", no_pool)
    shipped = policyclf.load()
    again = policyclf.train(evaluate=False)
    assert again.featurizer.vocabulary == shipped.featurizer.vocabulary
    for name in ("coef", "intercept", "calibration", "thresholds", "gate_coef", "gate_params"):
        np.testing.assert_allclose(getattr(again, name), getattr(shipped, name), atol=1e-9)
