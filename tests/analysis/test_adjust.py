"""Corrected shares (ACC, averaged probabilities) and the seeded two-stage bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyclf.analysis.adjust import GroupUnits, acc, bootstrap_interval, estimate, rate_draws
from policyclf.analysis.rates import ErrorRates


def test_acc_inverts_the_expected_observed_share() -> None:
    # true share 0.3, tpr 0.8, fpr 0.1: observed = 0.3*0.8 + 0.7*0.1 = 0.31
    assert acc(np.array([0.31]), np.array([0.8]), np.array([0.1]))[0] == pytest.approx(0.3)


def test_acc_clips_to_unit_interval_and_is_nan_when_rates_are_useless() -> None:
    out = acc(np.array([0.05, 0.99, 0.5]), np.array([0.8, 0.8, 0.2]), np.array([0.1, 0.1, 0.3]))
    assert out[0] == 0.0 and out[1] == 1.0 and np.isnan(out[2])


@given(
    true=st.floats(0, 1),
    tpr=st.floats(0.3, 1),
    fpr=st.floats(0, 0.25),
)
@settings(max_examples=200, deadline=None)
def test_acc_recovers_any_true_share_from_its_expected_observation(
    true: float, tpr: float, fpr: float
) -> None:
    observed = true * tpr + (1 - true) * fpr
    assert acc(np.array([observed]), np.array([tpr]), np.array([fpr]))[0] == pytest.approx(
        true, abs=1e-9
    )


def test_estimate_methods() -> None:
    lab, sc = np.array([2.0, 4.0]), np.array([3.0, 1.0])
    assert estimate(lab, sc, 10, None).tolist() == [0.2, 0.4]
    assert estimate(lab, sc, 10, "probability").tolist() == [0.3, 0.1]
    with pytest.raises(ValueError, match="rates"):
        estimate(lab, sc, 10, "acc")
    with pytest.raises(ValueError, match="method"):
        estimate(lab, sc, 10, "magic")


def _group(rng: np.random.Generator, sizes: list[int], p: float) -> GroupUnits:
    lab = [rng.random((n, 2)) < p for n in sizes]
    return GroupUnits(lab, [x * 0.8 + 0.1 for x in lab])


def test_bootstrap_is_deterministic_for_a_seed_and_brackets_the_estimate() -> None:
    g = _group(np.random.default_rng(1), [20, 35, 50, 10], 0.3)
    a = bootstrap_interval(g, None, n_boot=400, seed=5, level=0.95)
    b = bootstrap_interval(g, None, n_boot=400, seed=5, level=0.95)
    c = bootstrap_interval(g, None, n_boot=400, seed=6, level=0.95)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0]) or not np.array_equal(a[1], c[1])
    lab, sc, n = g.sums()
    point = estimate(lab, sc, n, None)
    assert np.all(a[0] <= point) and np.all(point <= a[1]) and np.all(a[0] < a[1])


def test_a_single_document_still_gets_an_interval_from_its_units() -> None:
    g = _group(np.random.default_rng(2), [80], 0.4)
    low, high = bootstrap_interval(g, None, n_boot=300, seed=0, level=0.9)
    assert np.all(high - low > 0.05)


def test_more_documents_give_narrower_intervals() -> None:
    rng = np.random.default_rng(3)
    small = bootstrap_interval(_group(rng, [30] * 3, 0.3), None, n_boot=500, seed=0, level=0.95)
    large = bootstrap_interval(_group(rng, [30] * 60, 0.3), None, n_boot=500, seed=0, level=0.95)
    assert np.all(large[1] - large[0] < small[1] - small[0])


def test_acc_intervals_include_the_uncertainty_of_the_error_rates() -> None:
    g = _group(np.random.default_rng(4), [40] * 20, 0.3)
    labels = ["a", "b"]
    few = ErrorRates({k: {"tp": 8, "fn": 2, "fp": 3, "tn": 27} for k in labels}, "few")
    many = ErrorRates({k: {"tp": 800, "fn": 200, "fp": 300, "tn": 2700} for k in labels}, "many")
    width = {}
    for name, r in (("few", few), ("many", many)):
        draws = rate_draws(r, labels, 500, 0)
        low, high = bootstrap_interval(g, "acc", n_boot=500, seed=0, level=0.95, rates=draws)
        width[name] = high - low
    assert np.all(width["few"] > width["many"])


def test_empty_group_gives_nan() -> None:
    low, high = bootstrap_interval(
        GroupUnits([np.zeros((0, 2), bool)], [np.zeros((0, 2))]),
        None,
        n_boot=10,
        seed=0,
        level=0.95,
    )
    assert np.isnan(low).all() and np.isnan(high).all()
