"""Corrected label shares and their bootstrap intervals.

A classifier's raw share of units carrying a label (*classify and count*) is biased by its
errors: false positives inflate it, misses deflate it. Two corrections are offered:

``"acc"`` — adjusted classify and count
    ``(p_obs - fpr) / (tpr - fpr)``, clipped to [0, 1], with the true- and false-positive
    rates of the model's grouped cross-validation (:mod:`policyclf.analysis.rates`).
``"probability"`` — averaged calibrated probabilities
    the mean of the units' calibrated scores for the label.

Intervals come from a two-stage bootstrap: documents are resampled within each group, then
units within each drawn document (so that a group of one document still gets an interval
that reflects how many of its units carry the label), and, for ``"acc"``, the error rates are
redrawn from the counts behind them (binomially), so their uncertainty is in the interval too.
Draws are seeded: the same input and seed give the same intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .rates import ErrorRates

__all__ = ["METHODS", "GroupUnits", "acc", "bootstrap_interval", "estimate", "rate_draws"]

#: The correction methods.
METHODS = ("acc", "probability")


def acc(p_obs: np.ndarray, tpr: np.ndarray, fpr: np.ndarray) -> np.ndarray:
    """Adjusted classify and count, clipped to [0, 1]; NaN where ``tpr <= fpr``."""
    p_obs, tpr, fpr = np.broadcast_arrays(
        np.asarray(p_obs, float), np.asarray(tpr, float), np.asarray(fpr, float)
    )
    denom = tpr - fpr
    ok = denom > 0
    out = np.full(p_obs.shape, np.nan)
    np.divide(p_obs - fpr, denom, out=out, where=ok)
    return np.where(ok, np.clip(out, 0.0, 1.0), np.nan)


@dataclass(frozen=True)
class GroupUnits:
    """The units of one group, by document: per document a (n_units, k) 0/1 label matrix and
    a (n_units, k) matrix of calibrated scores."""

    labelled: Sequence[np.ndarray]
    scores: Sequence[np.ndarray]

    @property
    def n_units(self) -> int:
        return int(sum(len(x) for x in self.labelled))

    def sums(self) -> tuple[np.ndarray, np.ndarray, int]:
        k = self.labelled[0].shape[1] if self.labelled else 0
        lab = sum((x.sum(axis=0) for x in self.labelled), np.zeros(k))
        sc = sum((x.sum(axis=0) for x in self.scores), np.zeros(k))
        return np.asarray(lab, float), np.asarray(sc, float), self.n_units


def estimate(
    labelled_sum: np.ndarray,
    score_sum: np.ndarray,
    n: np.ndarray | float,
    method: str | None,
    tpr: np.ndarray | None = None,
    fpr: np.ndarray | None = None,
) -> np.ndarray:
    """The share per label: raw (``method=None``), ``"acc"`` or ``"probability"``.

    Works on (k,) sums or (B, k) bootstrap sums with ``n`` of shape () or (B, 1).
    """
    n = np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method is None:
            return np.asarray(labelled_sum / n)
        if method == "probability":
            return np.asarray(score_sum / n)
        if method == "acc":
            if tpr is None or fpr is None:
                raise ValueError("method 'acc' needs the true- and false-positive rates")
            return acc(labelled_sum / n, tpr, fpr)
    raise ValueError(f"method must be one of {METHODS} (or None for raw shares), got {method!r}")


def rate_draws(
    rates: ErrorRates, labels: Sequence[str], n_boot: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n_boot`` binomial redraws of each label's tpr and fpr from its counts: two (B, k)."""
    rng = np.random.default_rng([seed, 7919])
    pos = np.array([rates.positives(k) for k in labels], dtype=np.int64)
    neg = np.array([rates.negatives(k) for k in labels], dtype=np.int64)
    tpr = np.array([rates.tpr(k) for k in labels])
    fpr = np.array([rates.fpr(k) for k in labels])
    tpr_b = rng.binomial(pos, np.nan_to_num(tpr), size=(n_boot, len(labels))) / np.maximum(pos, 1)
    fpr_b = rng.binomial(neg, np.nan_to_num(fpr), size=(n_boot, len(labels))) / np.maximum(neg, 1)
    return np.where(pos > 0, tpr_b, np.nan), np.where(neg > 0, fpr_b, np.nan)


def bootstrap_interval(
    group: GroupUnits,
    method: str | None,
    *,
    n_boot: int,
    seed: int,
    level: float,
    rates: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval (``level``, e.g. 0.95) of the share per label: (low, high), (k,).

    Documents are resampled with replacement, then units within each drawn document;
    ``rates`` are (B, k) redraws of tpr and fpr for ``"acc"``.
    """
    docs = [i for i, x in enumerate(group.labelled) if len(x)]
    k = group.labelled[0].shape[1] if group.labelled else 0
    if not docs or n_boot < 1:
        nan = np.full(k, np.nan)
        return nan, nan
    rng = np.random.default_rng(seed)
    n_docs = len(docs)
    doc_counts = rng.multinomial(n_docs, np.full(n_docs, 1.0 / n_docs), size=n_boot)  # (B, D)
    lab = np.zeros((n_boot, k))
    sc = np.zeros((n_boot, k))
    n = np.zeros((n_boot, 1))
    for j, i in enumerate(docs):
        L = np.asarray(group.labelled[i], float)
        m = len(L)
        c = doc_counts[:, j : j + 1].astype(float)
        if method == "probability":
            S = np.asarray(group.scores[i], float)
            idx = rng.integers(0, m, size=(n_boot, m))  # the drawn units of each replicate
            for q in range(k):
                lab[:, q] += c[:, 0] * L[:, q][idx].sum(axis=1)
                sc[:, q] += c[:, 0] * S[:, q][idx].sum(axis=1)
        else:
            # Resampling units and summing their 0/1 label rows is drawing a multinomial over
            # the document's distinct label patterns (at most 2**k): the same distribution,
            # much faster for long documents.
            patterns, counts = np.unique(L, axis=0, return_counts=True)
            inner = rng.multinomial(m, counts / m, size=n_boot).astype(float)  # (B, patterns)
            lab += c * (inner @ patterns)
        n += c * m
    tpr, fpr = rates if rates is not None else (None, None)
    values = estimate(lab, sc, n, method, tpr, fpr)
    alpha = (1.0 - level) / 2.0
    with np.errstate(invalid="ignore"):
        ok = ~np.isnan(values)
        low = np.full(k, np.nan)
        high = np.full(k, np.nan)
        for j in range(k):
            v = values[ok[:, j], j]
            if len(v):
                low[j], high[j] = np.quantile(v, [alpha, 1.0 - alpha])
    return low, high
