"""Evaluation: per-label metrics, the report a training run produces, and ``evaluate()``.

Every category is scored as its own yes/no question (precision, recall, F1, support and
Cohen's kappa between the model and the gold labels), plus micro and macro F1 over the
categories and a "no measure" row (texts with no gold label vs. texts given no label).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .labelfiles import LabelledRow
    from .model import Model

__all__ = [
    "MIN_CHANGE",
    "Report",
    "cohen_kappa",
    "compare_metrics",
    "evaluate",
    "label_metrics",
    "report_markdown",
]


#: A per-label F1 change smaller than this is treated as no change ("helped"/"hurt" lists).
MIN_CHANGE = 0.005


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two 0/1 vectors (1.0 when both are constant and equal)."""
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    n = len(a)
    if n == 0:
        return float("nan")
    po = float(np.mean(a == b))
    pa, pb = float(a.mean()), float(b.mean())
    pe = pa * pb + (1 - pa) * (1 - pb)
    if pe >= 1.0:
        return 1.0 if po == 1.0 else 0.0
    return (po - pe) / (1 - pe)


def _prf(t: np.ndarray, p: np.ndarray) -> dict[str, float]:
    tp = float(np.sum(t & p))
    fp = float(np.sum(~t & p))
    fn = float(np.sum(t & ~p))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": prec, "recall": rec, "f1": f1, "support": int(t.sum())}


def label_metrics(Y: np.ndarray, P: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """Per-label P/R/F1/support/kappa, micro and macro F1, and the no-measure row.

    Args:
        Y: gold 0/1 array (n, k); P: predicted 0/1 array (n, k); labels: the k label ids.
    """
    Y = np.asarray(Y, dtype=bool)
    P = np.asarray(P, dtype=bool)
    if Y.shape != P.shape or Y.shape[1] != len(labels):
        raise ValueError(
            f"shape mismatch: gold {Y.shape}, predicted {P.shape}, {len(labels)} labels"
        )
    per: dict[str, dict[str, float]] = {}
    for j, k in enumerate(labels):
        m = _prf(Y[:, j], P[:, j])
        m["kappa"] = cohen_kappa(Y[:, j], P[:, j])
        per[k] = m
    micro = _prf(Y.ravel(), P.ravel())
    scored = [k for k in labels if per[k]["support"] > 0]
    macro = float(np.mean([per[k]["f1"] for k in scored])) if scored else 0.0
    none = _prf(np.asarray(~Y.any(axis=1)), np.asarray(~P.any(axis=1)))
    return {
        "n": len(Y),
        "labels": per,
        "micro_f1": micro["f1"],
        "micro_precision": micro["precision"],
        "micro_recall": micro["recall"],
        "macro_f1": macro,
        "macro_over": scored,
        "no_measure": none,
        "exact_match": float(np.mean((Y == P).all(axis=1))) if len(Y) else 0.0,
    }


def compare_metrics(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    labels: Sequence[str],
    min_change: float = MIN_CHANGE,
) -> dict[str, Any]:
    """Per-label F1 before/after/change of two :func:`label_metrics` results on the same rows.

    A label is listed under ``helped`` (``hurt``) only when its F1 rose (fell) by at least
    ``min_change``; smaller changes are treated as no change.
    """
    per = {}
    for k in labels:
        b, a = float(before["labels"][k]["f1"]), float(after["labels"][k]["f1"])
        per[k] = {"before": b, "after": a, "change": a - b}
    # rounded so that float noise (0.005 computed as 0.00499999...) never decides a listing
    moved = {k: round(v["change"], 9) for k, v in per.items()}
    return {
        "labels": per,
        "micro_before": before["micro_f1"],
        "micro_after": after["micro_f1"],
        "min_change": min_change,
        "helped": [k for k in labels if moved[k] >= min_change],
        "hurt": [k for k in labels if moved[k] <= -min_change],
    }


class Report(dict[str, Any]):
    """An evaluation report: a plain dict (JSON-ready) with Markdown and saving helpers."""

    def to_markdown(self) -> str:
        return report_markdown(self)

    def save(self, folder: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write ``report.json`` and ``report.md`` into ``folder`` (created if needed)."""
        d = Path(folder)
        d.mkdir(parents=True, exist_ok=True)
        js, md = d / "report.json", d / "report.md"
        js.write_text(json.dumps(self, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        md.write_text(self.to_markdown(), encoding="utf-8")
        return js, md

    def summary(self) -> str:
        """One line: micro/macro F1 of the main evaluation."""
        main = self.get("metrics") or self.get("cv", {}).get("subsets", {}).get("all", {})
        if not main:
            return "no metrics"
        return (
            f"micro F1 {main['micro_f1']:.3f}, macro F1 {main['macro_f1']:.3f} on {main['n']} texts"
        )


def _metrics_table(m: Mapping[str, Any]) -> list[str]:
    out = [
        "| label | precision | recall | F1 | kappa | support |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for k, v in m["labels"].items():
        if v["support"]:
            cells = [f"{v[c]:.3f}" for c in ("precision", "recall", "f1", "kappa")]
        else:  # no gold example: the scores are undefined (and left out of the macro F1)
            cells = ["—"] * 4
        out.append(f"| {k} | {' | '.join(cells)} | {v['support']} |")
    nm = m["no_measure"]
    out.append(
        f"| (no measure) | {nm['precision']:.3f} | {nm['recall']:.3f} | {nm['f1']:.3f} | | "
        f"{nm['support']} |"
    )
    out.append("")
    out.append(
        f"Micro F1 **{m['micro_f1']:.3f}**, macro F1 **{m['macro_f1']:.3f}**, "
        f"exact match {m['exact_match']:.3f}, n = {m['n']}."
    )
    return out


def report_markdown(report: Mapping[str, Any]) -> str:
    """Render a training or evaluation report as Markdown."""
    out: list[str] = [f"# {report.get('title', 'policyclf evaluation report')}", ""]
    if report.get("description"):
        out += [str(report["description"]), ""]
    if "metrics" in report:
        out += ["## Metrics", "", *_metrics_table(report["metrics"]), ""]
    cv = report.get("cv")
    if cv:
        if cv.get("grouped", True):
            out += [
                "## Grouped cross-validation",
                "",
                f"{cv.get('n_folds')} folds grouped by {cv.get('grouped_by', 'group')}; "
                "no group appears on both sides of a split. Thresholds and calibration were "
                "tuned inside each training fold only.",
                "",
            ]
        else:
            out += [
                "## Cross-validation (not grouped)",
                "",
                f"{cv.get('n_folds')} folds by {cv.get('grouped_by', 'random K-fold')}. Rows of "
                "one document can sit on both sides of a split, so these scores are likely "
                "optimistic. Thresholds and calibration were tuned inside each training fold "
                "only.",
                "",
            ]
        for name, m in cv.get("subsets", {}).items():
            out += [f"### {name}", "", *_metrics_table(m), ""]
    comp = report.get("comparison")
    if comp:
        out += ["## Did the added data help?", "", str(comp.get("note", "")), ""]
        out += [
            "| label | F1 without added data | F1 with added data | change |",
            "| --- | ---: | ---: | ---: |",
        ]
        for k, v in comp["labels"].items():
            out.append(f"| {k} | {v['before']:.3f} | {v['after']:.3f} | {v['change']:+.3f} |")
        out += [
            f"| micro | {comp['micro_before']:.3f} | {comp['micro_after']:.3f} | "
            f"{comp['micro_after'] - comp['micro_before']:+.3f} |",
            "",
        ]
        if "helped" in comp:
            min_change = comp.get("min_change", MIN_CHANGE)
            out += [
                f"Helped: {', '.join(comp['helped']) or 'no label'}; "
                f"hurt: {', '.join(comp.get('hurt', [])) or 'no label'} "
                f"(changes under {min_change:g} are treated as no change).",
                "",
            ]
    data = report.get("data")
    if data:
        out += ["## Data", ""]
        out += ["| source | rows | sha256 |", "| --- | ---: | --- |"]
        for s in data.get("sources", []):
            out.append(f"| {s['source']} | {s['rows']} | `{s.get('sha256', '')[:16]}` |")
        out += [
            "",
            f"Training rows: {data.get('rows')}; data hash `{data.get('sha256', '')[:16]}`.",
            "",
        ]
        if data.get("dropped_repeats"):
            out += [
                f"Dropped {data['dropped_repeats']} added row(s) that repeat a bundled row with "
                "the same labels.",
                "",
            ]
        if data.get("label_counts"):
            out += ["| label | training rows |", "| --- | ---: |"]
            out += [f"| {k} | {v} |" for k, v in data["label_counts"].items()]
            out.append("")
    if report.get("command"):
        out += ["Reproduce with:", "", f"    {report['command']}", ""]
    return "\n".join(out)


def evaluate(
    model: Model,
    data: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | Sequence[LabelledRow],
    *,
    encoding: str = "utf-8",
) -> Report:
    """Score ``model`` on labelled data the user held out (a file, files, or rows).

    The file formats are those of :func:`policyclf.labelfiles.read_labelled`; labels are
    validated against the model's taxonomy. Returns the same metrics as a training report.
    """
    from .labelfiles import LabelledRow, read_labelled

    rows: list[LabelledRow]
    if isinstance(data, (str, os.PathLike)):
        rows = read_labelled(data, model.taxonomy, encoding=encoding)
        sources = [str(data)]
    elif data and all(isinstance(r, LabelledRow) for r in data):
        rows = list(data)  # type: ignore[arg-type]
        sources = sorted({r.source for r in rows})
    else:
        rows = read_labelled(list(data), model.taxonomy, encoding=encoding)  # type: ignore[arg-type]
        sources = [str(d) for d in data]
    labels = model.labels
    tags = model.tag_many([r.text for r in rows])
    Y = np.array([[k in r.labels for k in labels] for r in rows], dtype=bool).reshape(
        -1, len(labels)
    )
    P = np.array([[k in t.labels for k in labels] for t in tags], dtype=bool).reshape(
        -1, len(labels)
    )
    return Report(
        title="policyclf evaluation on held-out data",
        description=(
            f"Model {model.metadata.get('name', '(unnamed)')} scored on {', '.join(sources)}."
        ),
        metrics=label_metrics(Y, P, labels),
        sources=sources,
    )
