"""Error rates from out-of-fold predictions: counted in training, read back for profiles."""

from __future__ import annotations

import numpy as np
import pytest

import policyclf
from policyclf.analysis.rates import ErrorRates, error_rates, rates_for
from policyclf.taxonomy import load_taxonomy
from policyclf.training import base_rows, cross_validate


def test_error_rates_count_each_cell() -> None:
    Y = np.array([[1, 0], [1, 1], [0, 0], [0, 1]])
    P = np.array([[1, 1], [0, 1], [1, 0], [0, 0]])
    c = error_rates(Y, P, ["a", "b"])
    assert c["a"] == {"tp": 1, "fp": 1, "fn": 1, "tn": 1}
    assert c["b"] == {"tp": 1, "fp": 1, "fn": 1, "tn": 1}
    r = ErrorRates(c, "test")
    assert r.tpr("a") == 0.5 and r.fpr("a") == 0.5
    with pytest.raises(ValueError, match="shape mismatch"):
        error_rates(Y, P[:, :1], ["a", "b"])


@pytest.fixture(scope="module")
def cv_report() -> dict:
    tax = load_taxonomy()
    rows = base_rows(tax)[::3]  # a third of the rows: still several groups, quick
    return dict(cross_validate(rows, tax, n_folds=3))


def test_cross_validation_stores_out_of_fold_counts_per_kind(cv_report: dict) -> None:
    stored = cv_report["cv"]["error_rates"]
    subsets = cv_report["cv"]["subsets"]
    assert set(stored) == set(subsets)
    for kind, m in subsets.items():
        for k, lm in m["labels"].items():
            c = stored[kind][k]
            assert c["tp"] + c["fn"] == lm["support"]
            assert sum(c.values()) == m["n"]


def test_counts_rebuilt_from_metrics_equal_the_stored_ones(cv_report: dict) -> None:
    labels = load_taxonomy().ids
    stored = rates_for(cv_report, labels, "sentence")
    without = {"cv": {k: v for k, v in cv_report["cv"].items() if k != "error_rates"}}
    rebuilt = rates_for(without, labels, "sentence")
    for k in labels:
        if stored.counts[k]["tp"] > 0:  # precision 0 hides the false positives
            assert rebuilt.counts[k] == stored.counts[k]
    assert "rebuilt" in rebuilt.source and "rebuilt" not in stored.source


def test_sentence_rates_leave_out_corpus_paragraphs(cv_report: dict) -> None:
    labels = load_taxonomy().ids
    sent = rates_for(cv_report, labels, "sentence")
    para = rates_for(cv_report, labels, "paragraph")
    n_par = cv_report["cv"]["subsets"]["corpus paragraphs"]["n"]
    k = labels[0]
    assert sum(para.counts[k].values()) - sum(sent.counts[k].values()) == n_par
    assert "corpus paragraphs" not in sent.source


def test_the_default_model_has_usable_rates() -> None:
    m = policyclf.load()
    r = rates_for(m.report, m.labels)
    for k in m.labels:
        assert 0.0 <= r.fpr(k) < 0.2 and r.tpr(k) <= 1.0
        # adjusted classify-and-count divides by tpr - fpr: it must be well away from zero
        assert r.tpr(k) - r.fpr(k) > 0.3, (k, r.tpr(k), r.fpr(k))


def test_a_model_without_cross_validation_has_no_rates() -> None:
    with pytest.raises(ValueError, match="adjust=False"):
        rates_for({}, ["a"])
    with pytest.raises(ValueError, match="unit"):
        rates_for({}, ["a"], unit="document")
