"""Report wording: labels without support, and what counts as a change in the comparison."""

from __future__ import annotations

import numpy as np
import pytest

from policyclf.evaluation import MIN_CHANGE, Report, compare_metrics, label_metrics


def metrics_with_f1(f1: dict[str, float]) -> dict:
    return {
        "labels": {k: {"f1": v} for k, v in f1.items()},
        "micro_f1": float(np.mean(list(f1.values()))),
    }


def test_a_label_without_support_shows_dashes_not_zeros() -> None:
    Y = np.array([[1, 0], [0, 0], [1, 0]])
    P = np.array([[1, 0], [0, 1], [0, 0]])
    m = label_metrics(Y, P, ["a", "b"])
    assert m["macro_over"] == ["a"]
    md = Report(metrics=m).to_markdown()
    row_b = next(line for line in md.splitlines() if line.startswith("| b |"))
    assert row_b == "| b | — | — | — | — | 0 |"
    row_a = next(line for line in md.splitlines() if line.startswith("| a |"))
    assert "—" not in row_a and "1.000 | 0.500 | 0.667" in row_a


def test_small_changes_are_neither_helped_nor_hurt() -> None:
    before = metrics_with_f1({"up": 0.500, "down": 0.500, "tiny_up": 0.500, "tiny_down": 0.500})
    after = metrics_with_f1({"up": 0.505, "down": 0.490, "tiny_up": 0.504, "tiny_down": 0.496})
    comp = compare_metrics(before, after, ["up", "down", "tiny_up", "tiny_down"])
    assert comp["helped"] == ["up"]  # exactly MIN_CHANGE counts
    assert comp["hurt"] == ["down"]
    assert comp["labels"]["tiny_up"]["change"] == pytest.approx(0.004)
    assert comp["min_change"] == MIN_CHANGE == 0.005


def test_the_comparison_markdown_names_the_threshold() -> None:
    before = metrics_with_f1({"a": 0.5, "b": 0.5})
    after = metrics_with_f1({"a": 0.6, "b": 0.501})
    comp = {"note": "n", **compare_metrics(before, after, ["a", "b"])}
    md = Report(comparison=comp).to_markdown()
    assert "Helped: a; hurt: no label" in md
    assert "changes under 0.005 are treated as no change" in md


def test_ungrouped_cv_is_not_called_grouped() -> None:
    m = label_metrics(np.array([[1], [0]]), np.array([[1], [0]]), ["a"])
    cv = {"n_folds": 2, "grouped": False, "grouped_by": "random K-fold: only one group"}
    md = Report(cv={**cv, "subsets": {"all": m}}).to_markdown()
    assert "random K-fold: only one group" in md
    assert "no group appears on both sides" not in md
    grouped = Report(cv={"n_folds": 2, "grouped_by": "city", "subsets": {}}).to_markdown()
    assert "no group appears on both sides of a split" in grouped
