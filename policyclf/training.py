"""Training: the bundled training data, ``train()``, and grouped cross-validation reports.

The bundled training data (``base``) is:

* the 176 corpus sentences and 41 corpus paragraphs with their labels (group = city);
* the codebook's examples, boundary-case examples and no-measure examples (group = codebook);
* ``labels/supplement.csv``: sentences the developers wrote in general policy language for
  breadth (group = the kind of document each imitates).

:func:`train` adds a user's labelled rows to it (or replaces it with ``base=False``), fits a
:class:`~policyclf.estimator.PolicyClassifier`, and evaluates the design by cross-validation
grouped by document/region, so that the sentences of one paragraph or document never sit on
both sides of a split; rows whose texts are equal after normalisation (apart from spacing and
punctuation) share a group, so a copy never sits on the other side of its original. Added rows
that exactly repeat a bundled row (same text and labels) are dropped. When rows are added, the
same folds are also run without them, so the report says whether — and for which labels — the
added data helped.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np

from .estimator import PolicyClassifier, UngroupedFoldsWarning, binarize, fold_splits
from .evaluation import Report, compare_metrics, label_metrics, paired_bootstrap
from .labelfiles import LabelledRow, read_labelled, text_key
from .model import Model
from .resources import data_path
from .taxonomy import Taxonomy, load_taxonomy

__all__ = ["DEFAULT_PARAMS", "base_rows", "cross_validate", "cv_groups", "text_key", "train"]

#: ``report["cv"]["grouped_by"]`` when the rows have a single group and the folds are random.
UNGROUPED = (
    "random K-fold: only one group (add a group column — document or region — to the "
    "labelled files so that rows of one document stay on one side of each split)"
)

#: The design of the default model, chosen by grouped cross-validation
#: (see benchmarks/design.py and the README's "How the default model was chosen").
DEFAULT_PARAMS: dict[str, Any] = {
    "use_cues": True,
    "frames": True,
    "gate": True,
    "cue_scale": 0.5,
    "char_bigrams": True,
    "C": 10.0,
    "min_df": 1,
}


def base_rows(taxonomy: Taxonomy | None = None) -> list[LabelledRow]:
    """The bundled training rows (corpus sentences and paragraphs, codebook, supplement)."""
    from .corpus import labelled_corpus

    tax = taxonomy or load_taxonomy()
    rows: list[LabelledRow] = []
    for level in ("sentence", "paragraph"):
        for i, lt in enumerate(labelled_corpus(level), start=2):
            rows.append(
                LabelledRow(
                    text=lt.text,
                    labels=lt.labels,
                    id=lt.id,
                    group=f"city:{lt.group}",
                    source=f"labels/{level}s.csv",
                    row=i,
                )
            )
    bundled = load_taxonomy()
    n = 0
    # codebook rows come from the taxonomy in use, so a user's examples for a new category count
    for c in tax.categories:
        for e in c.examples:
            n += 1
            rows.append(
                LabelledRow(e, (c.id,), f"codebook-{n}", "codebook", "labels/taxonomy.toml", n)
            )
    for b in tax.boundary_cases:
        n += 1
        rows.append(
            LabelledRow(b.example, b.labels, f"codebook-{n}", "codebook", "labels/taxonomy.toml", n)
        )
    for e in tax.no_measure_examples:
        n += 1
        rows.append(LabelledRow(e, (), f"codebook-{n}", "codebook", "labels/taxonomy.toml", n))
    supplement = data_path("labels", "supplement.csv")
    if supplement.exists():
        for r in read_labelled(supplement, bundled):
            rows.append(
                LabelledRow(
                    r.text, r.labels, r.id, f"supplement:{r.group}", "labels/supplement.csv", r.row
                )
            )
    from .pool import LABELS_FILE, pool_training_texts

    for text, span in pool_training_texts():
        rows.append(
            LabelledRow(text, span.labels, span.key, f"pool:{span.doc}", "/".join(LABELS_FILE), 0)
        )
    if tax.ids != bundled.ids:
        unknown = sorted({k for r in rows for k in r.labels} - set(tax.ids))
        if unknown:
            from .exceptions import TaxonomyError

            raise TaxonomyError(
                f"{tax.source}: the bundled training data uses label ids {unknown} that this "
                "taxonomy does not have; keep those ids (you may add new ones and change names), "
                "or train with base=False"
            )
        new = [k for k in tax.ids if k not in bundled.ids]
        if new:
            warnings.warn(
                f"{tax.source}: the bundled corpus and supplement were never coded for "
                f"{', '.join(repr(k) for k in new)}, so their rows count as 'no "
                f"{'/'.join(new)}'; only this taxonomy's examples and your added rows teach "
                f"{'them' if len(new) > 1 else 'it'} (or train with base=False)",
                UserWarning,
                stacklevel=2,
            )
    return rows


def _rows_hash(rows: Sequence[LabelledRow]) -> str:
    h = hashlib.sha256()
    for r in sorted((r.text, ";".join(r.labels)) for r in rows):
        h.update(json.dumps(r, ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def _kind(r: LabelledRow) -> str:
    if r.source == "labels/sentences.csv":
        return "corpus sentences"
    if r.source == "labels/paragraphs.csv":
        return "corpus paragraphs"
    if r.source == "labels/taxonomy.toml":
        return "codebook examples"
    if r.source == "labels/supplement.csv":
        return "supplement"
    if r.source == "labels/pool/sentences.csv":
        return "pool sentences"
    return "added rows"


def _group(r: LabelledRow) -> str:
    if r.group:
        return (
            r.group if ":" in r.group or r.source.startswith("labels/") else f"{r.source}:{r.group}"
        )
    # no group given: the whole file is one group (conservative: no leakage between its rows)
    return f"file:{r.source}"


def cv_groups(rows: Sequence[LabelledRow]) -> list[str]:
    """The cross-validation group of each row.

    A row's own group (city, document kind, codebook, the user's group column, else its file),
    except that every row whose :func:`text_key` was seen before takes the group of the first
    row with that key, so equal texts never sit on both sides of a split.
    """
    first: dict[str, str] = {}
    out: list[str] = []
    for r in rows:
        g = _group(r)
        key = text_key(r.text)
        out.append(first.setdefault(key, g) if key else g)
    return out


def _fit_quietly(est: PolicyClassifier, texts: Sequence[str], Y: Any, groups: list[str]) -> None:
    """Fit without the estimator's own ungrouped-folds warning (the caller reports it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UngroupedFoldsWarning)
        est.fit(texts, Y, groups=groups)


def cross_validate(
    rows: Sequence[LabelledRow],
    taxonomy: Taxonomy,
    params: Mapping[str, Any] | None = None,
    *,
    n_folds: int = 5,
    random_state: int = 0,
    compare_without: Sequence[bool] | None = None,
) -> Report:
    """Grouped cross-validation of the design on ``rows``.

    Each outer fold fits a full :class:`PolicyClassifier` (with its own inner, grouped
    calibration and thresholds) on the other folds and predicts this one.

    Args:
        compare_without: a mask of rows to leave out of training (the "added" rows); when
            given, every fold is also fitted without them, and the report compares both on the
            same test rows.
    """
    params = dict(DEFAULT_PARAMS if params is None else params)
    texts = [r.text for r in rows]
    labels = taxonomy.ids
    Y = binarize([r.labels for r in rows], labels)
    groups = cv_groups(rows)
    splits, grouped = fold_splits(len(rows), groups, n_folds, random_state)
    pred = np.zeros_like(Y)
    pred_without = np.zeros_like(Y) if compare_without is not None else None
    # every text is analysed (normalised, segmented, cue terms found) once for all folds
    analyzed = PolicyClassifier(taxonomy, **params)._analyzed(texts, taxonomy)
    for tr, te in splits:
        est = PolicyClassifier(taxonomy, random_state=random_state, **params)
        _fit_quietly(est, analyzed.subset(tr), Y[tr], [groups[i] for i in tr])
        pred[te] = est.predict(analyzed.subset(te))
        if pred_without is not None and compare_without is not None:
            tr0 = np.array([i for i in tr if not compare_without[i]], dtype=np.int64)
            if len(tr0) >= 2:
                est0 = PolicyClassifier(taxonomy, random_state=random_state, **params)
                _fit_quietly(est0, analyzed.subset(tr0), Y[tr0], [groups[i] for i in tr0])
                pred_without[te] = est0.predict(analyzed.subset(te))
    kinds = np.array([_kind(r) for r in rows])
    subsets: dict[str, Any] = {"all": label_metrics(Y, pred, labels)}
    for kind in dict.fromkeys(kinds.tolist()):
        mask = kinds == kind
        subsets[kind] = label_metrics(Y[mask], pred[mask], labels)
    rates = _oof_error_rates(Y, pred, kinds, labels)
    report: dict[str, Any] = {
        "n_folds": len(splits),
        "grouped": grouped,
        "grouped_by": (
            "city (corpus), document kind (supplement), codebook, and the user's group column "
            "(else the file); rows with equal normalised texts share a group"
            if grouped
            else UNGROUPED
        ),
        "groups": sorted(set(groups)),
        "subsets": subsets,
        "error_rates": rates,
        "params": params,
    }
    out = Report(cv=report)
    if pred_without is not None:
        m_after = label_metrics(Y, pred, labels)
        m_before = label_metrics(Y, pred_without, labels)
        out["comparison"] = {
            "note": f"The same {'grouped ' if grouped else ''}folds, trained with and without the "
            "added rows; both scored on every held-out row (bundled and added).",
            **compare_metrics(
                m_before,
                m_after,
                labels,
                intervals=paired_bootstrap(
                    Y, pred_without, pred, groups, labels, seed=random_state
                ),
            ),
        }
        added = np.asarray(compare_without, dtype=bool)
        if added.any():
            out["comparison"]["added_rows_only"] = {
                "before": label_metrics(Y[added], pred_without[added], labels),
                "after": label_metrics(Y[added], pred[added], labels),
            }
    return out


def _oof_error_rates(
    Y: np.ndarray, pred: np.ndarray, kinds: np.ndarray, labels: Sequence[str]
) -> dict[str, Any]:
    """Confusion counts (tp/fp/fn/tn) of the out-of-fold predictions, per kind of row and
    label; profiles use them to correct label shares for the model's errors."""
    from .analysis.rates import error_rates

    out: dict[str, Any] = {"all": error_rates(Y, pred, labels)}
    for kind in dict.fromkeys(kinds.tolist()):
        mask = kinds == kind
        out[kind] = error_rates(Y[mask], pred[mask], labels)
    return out


def train(
    extra: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    *,
    base: bool = True,
    taxonomy: Taxonomy | str | os.PathLike[str] | None = None,
    params: Mapping[str, Any] | None = None,
    evaluate: bool = True,
    n_folds: int = 5,
    encoding: str = "utf-8",
    name: str | None = None,
    random_state: int = 0,
) -> Model:
    """Train a model on the bundled data plus ``extra`` labelled files.

    Args:
        extra: labelled files (CSV/TSV/JSONL/Excel/Label Studio/doccano; see
            :func:`policyclf.labelfiles.read_labelled`). All files are validated first; any
            problem raises one :class:`~policyclf.exceptions.LabelFileError` listing them all,
            and nothing is trained or written.
        base: include the bundled corpus, codebook examples and supplement.
        taxonomy: a taxonomy file or object (default: the bundled one). Labels are validated
            against it and the model carries it.
        params: PolicyClassifier parameters (default: :data:`DEFAULT_PARAMS`).
        evaluate: run grouped cross-validation and attach the report (``model.report``).
        n_folds: number of grouped folds.

    Returns:
        The trained :class:`Model`; ``model.report`` holds the evaluation report.
    """
    started = time.perf_counter()
    tax = taxonomy if isinstance(taxonomy, Taxonomy) else load_taxonomy(taxonomy)
    rows: list[LabelledRow] = base_rows(tax) if base else []
    added: list[LabelledRow] = []
    dropped = 0
    if extra is not None:
        paths = [extra] if isinstance(extra, (str, os.PathLike)) else list(extra)
        added = read_labelled(paths, tax, encoding=encoding, against=rows)
        # read_labelled warned about these: they add nothing and would be counted twice
        bundled = {(r.text.strip(), r.labels) for r in rows}
        kept = [r for r in added if (r.text, r.labels) not in bundled]
        dropped = len(added) - len(kept)
        added = kept
    if not rows and not added:
        raise ValueError("no training data: pass extra files or keep base=True")
    all_rows = rows + added
    used = dict(DEFAULT_PARAMS if params is None else params)
    groups = cv_groups(all_rows)
    if not fold_splits(len(all_rows), groups, n_folds, random_state)[1]:
        warnings.warn(
            f"all {len(all_rows)} training rows are in one group, so calibration, thresholds "
            "and the cross-validation use random K-fold (rows of one document on both sides: "
            "optimistic scores); add a group column (document or region) to the labelled files",
            UngroupedFoldsWarning,
            stacklevel=2,
        )
    est = PolicyClassifier(tax, random_state=random_state, **used)
    _fit_quietly(est, [r.text for r in all_rows], [r.labels for r in all_rows], groups)
    fit_seconds = time.perf_counter() - started

    report = Report(title=f"policyclf training report{f': {name}' if name else ''}")
    if evaluate:
        mask = [False] * len(rows) + [True] * len(added) if (added and rows) else None
        report.update(
            cross_validate(
                all_rows,
                tax,
                used,
                n_folds=n_folds,
                random_state=random_state,
                compare_without=mask,
            )
        )
    report["data"] = _data_section(all_rows, tax)
    report["data"]["dropped_repeats"] = dropped
    report["thresholds"] = dict(zip(tax.ids, est.thresholds_.tolist(), strict=True))
    report["command"] = _command(extra, base, taxonomy)
    metadata = {
        "name": name or ("default" if extra is None and base else "custom"),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "policyclf_version": _version(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit_learn": _dist_version("scikit-learn"),
        "taxonomy_version": tax.version,
        "taxonomy_sha256": tax.sha256,
        "data_sha256": report["data"]["sha256"],
        "rows": len(all_rows),
        "added_rows": len(added),
        "base": base,
        "params": used,
        "fit_seconds": round(fit_seconds, 3),
        "metrics": _metrics_summary(report),
    }
    return est.to_model(metadata=metadata, report=report)


def _data_section(rows: Sequence[LabelledRow], tax: Taxonomy) -> dict[str, Any]:
    by_source: dict[str, list[LabelledRow]] = {}
    for r in rows:
        by_source.setdefault(r.source, []).append(r)
    sources = []
    for src, rs in by_source.items():
        sources.append({"source": src, "rows": len(rs), "sha256": _rows_hash(rs)})
    counts = {k: sum(k in r.labels for r in rows) for k in tax.ids}
    counts["(none)"] = sum(not r.labels for r in rows)
    return {
        "rows": len(rows),
        "sha256": _rows_hash(rows),
        "sources": sources,
        "label_counts": counts,
    }


def _metrics_summary(report: Mapping[str, Any]) -> dict[str, Any]:
    cv = report.get("cv")
    if not cv:
        return {}
    out = {}
    for name, m in cv["subsets"].items():
        out[name] = {
            "micro_f1": round(m["micro_f1"], 4),
            "macro_f1": round(m["macro_f1"], 4),
            "n": m["n"],
        }
    return out


def _command(extra: Any, base: bool, taxonomy: Any) -> str:
    parts = ["policyclf train"]
    if extra is not None:
        files = [extra] if isinstance(extra, (str, os.PathLike)) else list(extra)
        parts += ["--add", *map(str, files)]
    if not base:
        parts.append("--no-base")
    if taxonomy is not None and not isinstance(taxonomy, Taxonomy):
        parts += ["--taxonomy", str(taxonomy)]
    parts += ["--out", "DIR"]
    return " ".join(parts)


def _version() -> str:
    from . import __version__

    return __version__


def _dist_version(name: str) -> str:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return "unknown"


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `policyclf train` or policyclf.train()")
