"""Interval-aware retraining comparisons: paired bootstrap over documents, and the verdicts."""

from __future__ import annotations

import numpy as np
import pytest

from policyclf.evaluation import (
    NO_DETECTABLE_CHANGE,
    Report,
    compare_metrics,
    label_metrics,
    paired_bootstrap,
)

LABELS = ["a", "b", "c"]


def _data(seed: int = 0, n_docs: int = 30, per_doc: int = 10) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    n = n_docs * per_doc
    Y = rng.random((n, 3)) < 0.3
    groups = np.repeat([f"doc{i}" for i in range(n_docs)], per_doc)
    before = Y.copy()
    flip = rng.random((n, 3)) < 0.25  # a mediocre model
    before[flip] = ~before[flip]
    after = before.copy()
    after[:, 0] = Y[:, 0]  # label a: every error fixed -> clearly helped
    wrong = rng.random(n) < 0.5
    after[wrong, 1] = ~Y[wrong, 1]  # label b: half the rows wrong -> clearly hurt
    one = np.flatnonzero(Y[:, 2] != before[:, 2])[:1]
    after[one, 2] = Y[one, 2]  # label c: a single row fixed -> within noise
    return Y, before, after, groups


def test_clear_changes_are_helped_and_hurt_and_a_tiny_one_is_not() -> None:
    Y, before, after, groups = _data()
    ci = paired_bootstrap(Y, before, after, list(groups), LABELS)
    comp = compare_metrics(
        label_metrics(Y, before, LABELS), label_metrics(Y, after, LABELS), LABELS, intervals=ci
    )
    assert comp["helped"] == ["a"]
    assert comp["hurt"] == ["b"]
    assert comp["no_detectable_change"] == ["c"]
    assert comp["labels"]["c"]["verdict"] == NO_DETECTABLE_CHANGE
    assert comp["labels"]["c"]["change"] > 0  # it did move, just not detectably
    lo, hi = comp["labels"]["c"]["interval"]
    assert lo <= 0 <= hi
    for k in LABELS:  # the point estimate lies inside its interval
        lo, hi = comp["labels"][k]["interval"]
        assert lo - 1e-9 <= comp["labels"][k]["change"] <= hi + 1e-9
    assert ci["unit"] == "groups" and ci["n"] == 30
    assert "paired bootstrap over 30 groups" in ci["method"]


def test_identical_predictions_give_a_zero_interval() -> None:
    Y, before, _, groups = _data(1)
    ci = paired_bootstrap(Y, before, before, list(groups), LABELS)
    assert all(v == (0.0, 0.0) for v in ci["labels"].values())
    comp = compare_metrics(
        label_metrics(Y, before, LABELS), label_metrics(Y, before, LABELS), LABELS, intervals=ci
    )
    assert comp["helped"] == comp["hurt"] == []


def test_resampling_is_by_document_and_deterministic() -> None:
    Y, before, after, groups = _data(2)
    a = paired_bootstrap(Y, before, after, list(groups), LABELS, seed=5)
    assert a == paired_bootstrap(Y, before, after, list(groups), LABELS, seed=5)
    assert a != paired_bootstrap(Y, before, after, list(groups), LABELS, seed=6)
    # fewer than five groups: rows are resampled, and the report says so
    few = paired_bootstrap(Y, before, after, ["x", "y"] * (len(Y) // 2), LABELS)
    assert few["unit"] == "rows" and few["n"] == len(Y)


def test_changes_confined_to_few_documents_get_wide_intervals() -> None:
    """Fixing every row of 3 of 30 documents is not evidence about new documents."""
    rng = np.random.default_rng(3)
    n_docs, per_doc = 30, 10
    groups = [f"doc{i}" for i in range(n_docs) for _ in range(per_doc)]
    Y = rng.random((n_docs * per_doc, 3)) < 0.4
    before = Y.copy()
    before[:, 0] = False  # label a: missed everywhere
    after = before.copy()
    after[: 3 * per_doc, 0] = Y[: 3 * per_doc, 0]  # found in the first three documents only
    by_doc = paired_bootstrap(Y, before, after, groups, LABELS, seed=0)
    by_row = paired_bootstrap(Y, before, after, [str(i) for i in range(len(Y))], LABELS, seed=0)
    (dlo, dhi), (rlo, rhi) = by_doc["labels"]["a"], by_row["labels"]["a"]
    assert dhi - dlo > 1.3 * (rhi - rlo)


def test_shape_mismatch_is_refused() -> None:
    Y, before, after, groups = _data()
    with pytest.raises(ValueError, match="shape mismatch"):
        paired_bootstrap(Y, before[:-1], after, list(groups), LABELS)


def test_markdown_shows_intervals_and_verdicts() -> None:
    Y, before, after, groups = _data()
    comp = compare_metrics(
        label_metrics(Y, before, LABELS),
        label_metrics(Y, after, LABELS),
        LABELS,
        intervals=paired_bootstrap(Y, before, after, list(groups), LABELS),
    )
    md = Report(comparison={"note": "n", **comp}).to_markdown()
    assert "| 95% interval | verdict |" in md
    assert "Helped: a; hurt: b; no detectable change: c." in md
    assert "| c |" in md and "no detectable change |" in md
