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
    "MIN_BOOTSTRAP_GROUPS",
    "MIN_CHANGE",
    "NO_DETECTABLE_CHANGE",
    "Report",
    "cohen_kappa",
    "compare_metrics",
    "comparison_rows",
    "evaluate",
    "label_metrics",
    "paired_bootstrap",
    "report_markdown",
]


#: A per-label F1 change smaller than this is treated as no change ("helped"/"hurt" lists)
#: when no interval is available.
MIN_CHANGE = 0.005

#: The verdict for a label whose interval for the change in F1 contains zero.
NO_DETECTABLE_CHANGE = "no detectable change"

#: With fewer groups than this, :func:`paired_bootstrap` resamples rows instead of groups.
MIN_BOOTSTRAP_GROUPS = 5


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
    *,
    intervals: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Per-label F1 before/after/change of two :func:`label_metrics` results on the same rows.

    With ``intervals`` (a :func:`paired_bootstrap` result) every label gets its interval for
    the change and a verdict: ``"helped"`` when the whole interval is above zero, ``"hurt"``
    when it is below, else ``"no detectable change"``. Without intervals a label is listed
    under ``helped`` (``hurt``) when its F1 rose (fell) by at least ``min_change``.
    """
    per: dict[str, dict[str, Any]] = {}
    for k in labels:
        b, a = float(before["labels"][k]["f1"]), float(after["labels"][k]["f1"])
        per[k] = {"before": b, "after": a, "change": a - b}
    out: dict[str, Any] = {
        "labels": per,
        "micro_before": before["micro_f1"],
        "micro_after": after["micro_f1"],
    }
    if intervals is not None:
        for k in labels:
            lo, hi = intervals["labels"][k]
            per[k]["interval"] = [lo, hi]
            per[k]["verdict"] = _verdict(lo, hi)
        out["micro_interval"] = list(intervals["micro"])
        out["micro_verdict"] = _verdict(*intervals["micro"])
        out["interval"] = {k: v for k, v in intervals.items() if k not in ("labels", "micro")}
        out["helped"] = [k for k in labels if per[k]["verdict"] == "helped"]
        out["hurt"] = [k for k in labels if per[k]["verdict"] == "hurt"]
        out["no_detectable_change"] = [
            k for k in labels if per[k]["verdict"] == NO_DETECTABLE_CHANGE
        ]
        return out
    # rounded so that float noise (0.005 computed as 0.00499999...) never decides a listing
    moved = {k: round(v["change"], 9) for k, v in per.items()}
    out["min_change"] = min_change
    out["helped"] = [k for k in labels if moved[k] >= min_change]
    out["hurt"] = [k for k in labels if moved[k] <= -min_change]
    return out


def _verdict(lo: float, hi: float) -> str:
    if lo > 0:
        return "helped"
    if hi < 0:
        return "hurt"
    return NO_DETECTABLE_CHANGE


def paired_bootstrap(
    Y: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    groups: Sequence[str],
    labels: Sequence[str],
    *,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """A percentile interval for the change in F1 (after - before) per label and micro, by a
    paired bootstrap over ``groups`` (documents or regions): whole groups are resampled with
    replacement and both predictions are scored on the same resample, so rows of one document
    move together. With fewer than :data:`MIN_BOOTSTRAP_GROUPS` groups, rows are resampled
    instead (``unit`` says which).

    Args:
        Y: gold 0/1 array (n, k); before, after: predictions (n, k) of the two models.
    """
    Y = np.asarray(Y, dtype=bool)
    B = np.asarray(before, dtype=bool)
    A = np.asarray(after, dtype=bool)
    if not (Y.shape == B.shape == A.shape) or Y.shape[1] != len(labels) or len(groups) != len(Y):
        raise ValueError(
            f"shape mismatch: gold {Y.shape}, before {B.shape}, after {A.shape}, "
            f"{len(labels)} labels, {len(groups)} groups"
        )
    names, inv = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    unit = "groups"
    if len(names) < MIN_BOOTSTRAP_GROUPS:
        inv, unit = np.arange(len(Y)), "rows"
    G = int(inv.max()) + 1 if len(inv) else 0

    def per_group(P: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        tp, fp, fn = (np.zeros((G, Y.shape[1])) for _ in range(3))
        np.add.at(tp, inv, Y & P)
        np.add.at(fp, inv, ~Y & P)
        np.add.at(fn, inv, Y & ~P)
        return tp, fp, fn

    rng = np.random.default_rng(seed)
    W = rng.multinomial(G, np.full(G, 1.0 / G), size=n_boot).astype(np.float64) if G else None
    q = [(1 - level) / 2, 1 - (1 - level) / 2]

    def f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
        denom = 2 * tp + fp + fn
        with np.errstate(invalid="ignore", divide="ignore"):
            out: np.ndarray = np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0)
        return out

    if W is None:
        zero = (0.0, 0.0)
        return {"labels": dict.fromkeys(labels, zero), "micro": zero, "unit": unit, "n": 0}
    cb, ca = per_group(B), per_group(A)
    rb = [W @ c for c in cb]  # each (n_boot, k)
    ra = [W @ c for c in ca]
    d = f1(*ra) - f1(*rb)
    dm = f1(*(r.sum(axis=1) for r in ra)) - f1(*(r.sum(axis=1) for r in rb))
    lo, hi = np.quantile(d, q, axis=0)
    mlo, mhi = np.quantile(dm, q)
    return {
        "labels": {
            k: (round(float(a), 4), round(float(b), 4))
            for k, a, b in zip(labels, lo, hi, strict=True)
        },
        "micro": (round(float(mlo), 4), round(float(mhi), 4)),
        "method": f"paired bootstrap over {G} {unit}",
        "unit": unit,
        "n": G,
        "n_boot": n_boot,
        "level": level,
        "seed": seed,
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


def comparison_rows(comp: Mapping[str, Any]) -> list[tuple[str, float, float, Any, Any]]:
    """The rows of a report's comparison: (label or "micro", F1 without the added data, F1
    with it, the interval of the change or None, the verdict or None)."""
    rows = [
        (k, v["before"], v["after"], v.get("interval"), v.get("verdict"))
        for k, v in comp["labels"].items()
    ]
    rows.append(
        (
            "micro",
            comp["micro_before"],
            comp["micro_after"],
            comp.get("micro_interval"),
            comp.get("micro_verdict"),
        )
    )
    return rows


def _comparison_lines(comp: Mapping[str, Any]) -> list[str]:
    with_ci = "micro_interval" in comp
    head = "| label | F1 without added data | F1 with added data | change |"
    rule = "| --- | ---: | ---: | ---: |"
    if with_ci:
        level = comp.get("interval", {}).get("level", 0.95)
        head += f" {level:.0%} interval | verdict |"
        rule += " :---: | --- |"
    out = [head, rule]
    for k, b, a, ci, verdict in comparison_rows(comp):
        line = f"| {k} | {b:.3f} | {a:.3f} | {a - b:+.3f} |"
        if with_ci:
            line += f" [{ci[0]:+.3f}, {ci[1]:+.3f}] | {verdict} |" if ci else " | |"
        out.append(line)
    out.append("")
    if with_ci:
        meta = comp.get("interval", {})
        out += [
            f"Helped: {', '.join(comp['helped']) or 'no label'}; "
            f"hurt: {', '.join(comp.get('hurt', [])) or 'no label'}; "
            f"no detectable change: {', '.join(comp.get('no_detectable_change', [])) or 'none'}."
            f" A label helped (hurt) only when its whole {meta.get('level', 0.95):.0%} interval "
            f"for the change in F1 is above (below) zero; intervals by "
            f"{meta.get('method', 'paired bootstrap')} ({meta.get('n_boot', '?')} resamples).",
            "",
        ]
    elif "helped" in comp:
        min_change = comp.get("min_change", MIN_CHANGE)
        out += [
            f"Helped: {', '.join(comp['helped']) or 'no label'}; "
            f"hurt: {', '.join(comp.get('hurt', [])) or 'no label'} "
            f"(changes under {min_change:g} are treated as no change).",
            "",
        ]
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
        out += _comparison_lines(comp)
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
