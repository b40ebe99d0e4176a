"""A classifier's measured error rates per label, from out-of-fold predictions.

Training stores, in the model's report (``report["cv"]["error_rates"]``), the confusion counts
of the grouped cross-validation's out-of-fold predictions, per kind of training row and label.
:func:`error_rates` computes them; :func:`rates_for` reads them back (or, for a model trained
before they were stored, rebuilds them from the per-label precision, recall and support the
report has always held) and turns them into true- and false-positive rates.

numpy only: training imports this module, and tagging never does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["ErrorRates", "error_rates", "rates_for"]

#: Kinds of training rows that are paragraphs; the other kinds are sentence-like.
PARAGRAPH_KINDS = frozenset({"corpus paragraphs"})


def error_rates(Y: Any, P: Any, labels: Sequence[str]) -> dict[str, dict[str, int]]:
    """Confusion counts per label: ``{label: {"tp", "fp", "fn", "tn"}}``.

    Args:
        Y: gold 0/1 array (n, k); P: predicted 0/1 array (n, k); labels: the k label ids.
    """
    Y = np.asarray(Y, dtype=bool)
    P = np.asarray(P, dtype=bool)
    if Y.shape != P.shape or Y.ndim != 2 or Y.shape[1] != len(labels):
        raise ValueError(
            f"shape mismatch: gold {Y.shape}, predicted {P.shape}, {len(labels)} labels"
        )
    out = {}
    for j, k in enumerate(labels):
        y, p = Y[:, j], P[:, j]
        out[k] = {
            "tp": int(np.sum(y & p)),
            "fp": int(np.sum(~y & p)),
            "fn": int(np.sum(y & ~p)),
            "tn": int(np.sum(~y & ~p)),
        }
    return out


class ErrorRates:
    """True- and false-positive rates per label, with the counts behind them.

    ``tpr[k] = tp / (tp + fn)``, ``fpr[k] = fp / (fp + tn)``; ``source`` says where they came
    from (which report section and which kinds of rows).
    """

    def __init__(self, counts: Mapping[str, Mapping[str, int]], source: str) -> None:
        self.counts = {
            k: {c: int(v[c]) for c in ("tp", "fp", "fn", "tn")} for k, v in counts.items()
        }
        self.source = source

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.counts)

    def positives(self, label: str) -> int:
        c = self.counts[label]
        return c["tp"] + c["fn"]

    def negatives(self, label: str) -> int:
        c = self.counts[label]
        return c["fp"] + c["tn"]

    def tpr(self, label: str) -> float:
        c, n = self.counts[label], self.positives(label)
        return c["tp"] / n if n else float("nan")

    def fpr(self, label: str) -> float:
        c, n = self.counts[label], self.negatives(label)
        return c["fp"] / n if n else float("nan")

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {k: {"tpr": self.tpr(k), "fpr": self.fpr(k), **self.counts[k]} for k in self.counts}

    @classmethod
    def from_metrics(cls, metrics: Mapping[str, Any], source: str = "metrics") -> ErrorRates:
        """From per-label precision, recall and support (``label_metrics``; also the
        ``metrics`` of :func:`policyclf.evaluate`'s report on a coded sample of your corpus)."""
        if "metrics" in metrics and "labels" not in metrics:
            metrics = metrics["metrics"]
        labels = list(metrics["labels"])
        return cls(_counts_from_metrics(metrics, labels), source)

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}: tpr {self.tpr(k):.2f} fpr {self.fpr(k):.3f}" for k in self.counts)
        return f"<ErrorRates {parts} ({self.source})>"


def rates_for(
    report: Mapping[str, Any],
    labels: Sequence[str],
    unit: str = "sentence",
    kinds: Sequence[str] | None = None,
) -> ErrorRates:
    """The error rates of a model's cross-validation for ``unit`` ("sentence" or "paragraph").

    Sentence-level profiles use the rows that are not corpus paragraphs (corpus sentences,
    codebook examples, supplement, added rows); paragraph-level profiles use every row.
    When the report has no ``error_rates`` (models trained before they were stored), the
    counts are rebuilt from each subset's per-label precision, recall and support.
    ``kinds`` picks the kinds of training rows (e.g. ``["pool sentences"]``: real documents)
    instead.

    Raises:
        ValueError: the report has no cross-validation (a model trained with
            ``evaluate=False``), so error rates are unknown.
    """
    if unit not in ("sentence", "paragraph"):
        raise ValueError(f"unit must be 'sentence' or 'paragraph', got {unit!r}")
    cv = report.get("cv") or {}
    stored = cv.get("error_rates")
    if stored:
        by_kind = {kind: counts for kind, counts in stored.items() if kind != "all"}
        how = "report cv.error_rates"
    else:
        subsets = cv.get("subsets") or {}
        by_kind = {
            kind: _counts_from_metrics(m, labels) for kind, m in subsets.items() if kind != "all"
        }
        how = "rebuilt from report cv precision/recall/support"
    if not by_kind:
        raise ValueError(
            "the model's report has no cross-validation, so its error rates are unknown; "
            "train it with evaluate=True, or profile with adjust=False"
        )
    if kinds is None:
        kinds = [k for k in by_kind if unit == "paragraph" or k not in PARAGRAPH_KINDS]
    else:
        unknown = [k for k in kinds if k not in by_kind]
        if unknown:
            raise ValueError(
                f"the report has no rows of kind(s) {unknown}; it has {sorted(by_kind)}"
            )
    total: dict[str, dict[str, int]] = {k: {"tp": 0, "fp": 0, "fn": 0, "tn": 0} for k in labels}
    for kind in kinds:
        for k in labels:
            c = by_kind[kind].get(k)
            if c is None:
                continue
            for name in total[k]:
                total[k][name] += int(c[name])
    return ErrorRates(total, f"{how}; rows: {', '.join(kinds)}")


def _counts_from_metrics(m: Mapping[str, Any], labels: Sequence[str]) -> dict[str, dict[str, int]]:
    n = int(m["n"])
    out = {}
    for k in labels:
        lm = m["labels"].get(k)
        if lm is None:
            continue
        support = int(lm["support"])
        tp = round(float(lm["recall"]) * support)
        precision = float(lm["precision"])
        fp = round(tp / precision - tp) if precision > 0 else 0
        out[k] = {"tp": tp, "fp": fp, "fn": support - tp, "tn": n - support - fp}
    return out
