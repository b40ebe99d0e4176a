"""Learning curve: how F1 on an unseen city grows as labelled data from other cities is added.

The corpus describes four cities. Each city in turn is the *test city*; the other three are the
source of "added" labelled data, the way a user adds rows of their own province to the bundled
data. Every model starts from the non-corpus part of the bundled training data (the codebook's
examples and ``labels/supplement.csv``), and the other cities' corpus rows are added in steps:

* step 0: nothing added;
* then the three other cities one after another (in a random order), each in three steps of
  25 %, 50 % and 100 % of its paragraphs (in a random order). A paragraph is added together
  with its sentences (both are training rows in the bundled data), so no paragraph is ever
  split.

At every step a ``PolicyClassifier(**DEFAULT_PARAMS)`` is fitted (its calibration and
thresholds are tuned on inner folds grouped like the bundled data: city, supplement document
kind, codebook) and the test city's *sentences* are scored. Nothing from the test city is ever
in training. For one order, the predictions for the four test cities are pooled (every corpus
sentence is scored once per step) and scored with :func:`policyclf.evaluation.label_metrics`;
the F1 values are then averaged over three random orders (seeds 0, 1, 2).

Run:  python benchmarks/learning_curve.py     (about a minute on 2 cores; writes
benchmarks/LEARNING_CURVE.md, and learning_curve.png if matplotlib is installed)
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policyclf.estimator import PolicyClassifier, binarize
from policyclf.evaluation import label_metrics
from policyclf.labelfiles import LabelledRow
from policyclf.taxonomy import load_taxonomy
from policyclf.training import DEFAULT_PARAMS, base_rows

__all__ = ["OrderResult", "Step", "main", "run_order", "steps"]

HERE = Path(__file__).resolve().parent
FRACTIONS = (0.25, 0.5, 1.0)
SEEDS = (0, 1, 2)
CORPUS_SOURCES = ("labels/sentences.csv", "labels/paragraphs.csv")


@dataclass(frozen=True)
class Step:
    """One point of the curve: how many cities are (partly) added, and the last one's fraction."""

    cities: int
    fraction: float

    @property
    def name(self) -> str:
        """Cities' worth of data added: ``0``, ``0.25``, …, ``3``."""
        if self.cities == 0:
            return "0"
        return f"{self.cities - 1 + self.fraction:g}"


@dataclass(frozen=True)
class OrderResult:
    """Predictions for every corpus sentence at every step, for one random order.

    Rows of ``Y`` and of each ``P[step name]`` are the corpus sentences, grouped by test city;
    ``added_rows``/``added_paragraphs`` give, per step name, the amount added for each test city.
    """

    labels: tuple[str, ...]
    Y: np.ndarray
    P: dict[str, np.ndarray]
    added_rows: dict[str, list[int]]
    added_paragraphs: dict[str, list[int]]
    start_rows: int


def steps() -> list[Step]:
    """Step 0, then 25/50/100 % of the first, second and third added city."""
    return [Step(0, 0.0)] + [Step(c, f) for c in (1, 2, 3) for f in FRACTIONS]


def _paragraph_of(row: LabelledRow) -> str:
    """The corpus paragraph a corpus row belongs to (its own id for a paragraph row)."""
    assert row.id is not None
    return row.id.rsplit("-s", 1)[0] if row.source == "labels/sentences.csv" else row.id


def _city(row: LabelledRow) -> str:
    assert row.group is not None and row.group.startswith("city:")
    return row.group.removeprefix("city:")


def run_order(seed: int) -> OrderResult:
    """Fit and score every (test city, step) for the random order drawn from ``seed``."""
    tax = load_taxonomy()
    labels = tax.ids
    rows = base_rows(tax)
    start = [r for r in rows if r.source not in CORPUS_SOURCES]
    corpus = [r for r in rows if r.source in CORPUS_SOURCES]
    cities = list(dict.fromkeys(_city(r) for r in corpus))
    # paragraph id -> its rows (the paragraph row and its sentence rows), per city
    by_city: dict[str, dict[str, list[LabelledRow]]] = {c: {} for c in cities}
    for r in corpus:
        by_city[_city(r)].setdefault(_paragraph_of(r), []).append(r)

    rng = np.random.default_rng(seed)
    gold: list[tuple[str, ...]] = []
    preds: dict[str, list[np.ndarray]] = {s.name: [] for s in steps()}
    added_rows: dict[str, list[int]] = {s.name: [] for s in steps()}
    added_pars: dict[str, list[int]] = {s.name: [] for s in steps()}
    for test in cities:
        test_rows = [r for r in corpus if _city(r) == test and r.source == "labels/sentences.csv"]
        gold.extend(r.labels for r in test_rows)
        others = [c for c in cities if c != test]
        order = [others[i] for i in rng.permutation(len(others))]
        paragraph_order = {
            c: [list(by_city[c])[i] for i in rng.permutation(len(by_city[c]))] for c in order
        }
        for step in steps():
            extra: list[LabelledRow] = []
            n_par = 0
            for i, city in enumerate(order[: step.cities]):
                pids = paragraph_order[city]
                take = len(pids) if i < step.cities - 1 else math.ceil(step.fraction * len(pids))
                n_par += take
                for pid in pids[:take]:
                    extra.extend(by_city[city][pid])
            train = start + extra
            est = PolicyClassifier(tax, random_state=0, **DEFAULT_PARAMS)
            est.fit(
                [r.text for r in train], [r.labels for r in train], groups=[r.group for r in train]
            )
            preds[step.name].append(est.predict([r.text for r in test_rows]))
            added_rows[step.name].append(len(extra))
            added_pars[step.name].append(n_par)
    return OrderResult(
        labels=tuple(labels),
        Y=binarize(gold, labels),
        P={k: np.vstack(v) for k, v in preds.items()},
        added_rows=added_rows,
        added_paragraphs=added_pars,
        start_rows=len(start),
    )


def _table(results: Sequence[OrderResult]) -> tuple[list[str], list[dict[str, float]]]:
    labels = results[0].labels
    head = (
        "| cities added | paragraphs added | rows added | "
        + " | ".join(labels)
        + " | micro F1 | macro F1 | micro F1 range over orders |"
    )
    lines = [head, "| --- " + "| ---: " * (len(labels) + 5) + "|"]
    points: list[dict[str, float]] = []
    for step in steps():
        ms = [label_metrics(r.Y, r.P[step.name], labels) for r in results]
        per = {k: float(np.mean([m["labels"][k]["f1"] for m in ms])) for k in labels}
        micro = [m["micro_f1"] for m in ms]
        macro = float(np.mean([m["macro_f1"] for m in ms]))
        rows_added = float(np.mean([np.mean(r.added_rows[step.name]) for r in results]))
        pars = float(np.mean([np.mean(r.added_paragraphs[step.name]) for r in results]))
        lines.append(
            f"| {step.name} | {pars:.1f} | {rows_added:.1f} | "
            + " | ".join(f"{per[k]:.3f}" for k in labels)
            + f" | {np.mean(micro):.3f} | {macro:.3f} | {min(micro):.3f}–{max(micro):.3f} |"
        )
        points.append({"rows": rows_added, "micro": float(np.mean(micro)), "macro": macro, **per})
    return lines, points


def _plot(points: list[dict[str, float]], labels: Sequence[str], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    x = [p["rows"] for p in points]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k in labels:
        ax.plot(x, [p[k] for p in points], marker=".", linewidth=1, label=k)
    ax.plot(
        x, [p["micro"] for p in points], marker="o", linewidth=2.5, color="black", label="micro F1"
    )
    ax.set_xlabel("corpus rows added from other cities (paragraphs + their sentences)")
    ax.set_ylabel("F1 on the unseen city's sentences")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark, print the table, write LEARNING_CURVE.md (and a PNG if possible)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=min(len(SEEDS), os.cpu_count() or 1))
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    if args.jobs > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(run_order, SEEDS))
    else:
        results = [run_order(s) for s in SEEDS]
    seconds = time.perf_counter() - t0
    labels = results[0].labels
    table, points = _table(results)
    Y = results[0].Y
    support = ", ".join(f"{k} {int(Y[:, j].sum())}" for j, k in enumerate(labels))
    n = len(Y)
    none = int((~Y.astype(bool).any(axis=1)).sum())
    first, last = points[0], points[-1]
    print("\n".join(table))
    png = HERE / "learning_curve.png"
    plotted = _plot(points, labels, png)
    lines = [
        "# Learning curve: F1 on an unseen city as labelled data is added",
        "",
        f"Reproduce: `python benchmarks/learning_curve.py` (this run: {seconds:.0f} s with "
        f"{args.jobs} process(es) on {os.cpu_count()} cores, Python {platform.python_version()}).",
        "",
        "Each of the corpus's four cities is in turn the test city; the other three are the "
        '"added" data, the way a user adds rows of their own region. Every model starts from '
        f"the non-corpus bundled rows ({results[0].start_rows} rows: codebook examples "
        "and `labels/supplement.csv`) and adds the other cities' corpus rows: the cities one after "
        "another in a random order, each in steps of 25 %, 50 % and 100 % of its paragraphs "
        "(random order; a paragraph is added with its sentences). At each step "
        "`PolicyClassifier(**DEFAULT_PARAMS)` is fitted, with calibration and thresholds tuned "
        "on inner folds grouped by city / document kind / codebook, and the test city's "
        "sentences are scored. Predictions of the four test cities are pooled "
        f"({n} sentences: {support}; {none} with no measure), and F1 is averaged over "
        f"{len(SEEDS)} random orders (seeds {', '.join(map(str, SEEDS))}). "
        '"Cities added" is the number of other cities\' worth of corpus data in training '
        '(1.25 = one city in full and 25 % of the next one\'s paragraphs); "paragraphs added" '
        'and "rows added" (paragraph and sentence rows) are averaged over test cities. '
        "The last column shows how much micro F1 moves with the random order.",
        "",
        *table,
        "",
        "How to read it: the first row is what the bundled non-corpus data alone gives on a "
        "city the model has never seen; each later row adds more labelled text from *other* "
        "places, never from the test city, so the gain measures how well labelled text of one "
        "region transfers to another (rows from the user's own region were not tested here). "
        "The last row is leave-one-city-out training on all the other cities. With 176 test "
        "sentences, differences between neighbouring rows smaller than the spread in the last "
        "column are noise. In this run micro F1 went from "
        f"{first['micro']:.3f} with nothing added to {last['micro']:.3f} with all three other "
        f"cities ({last['micro'] - first['micro']:+.3f}; macro {first['macro']:.3f} → "
        f"{last['macro']:.3f}); per label: "
        + ", ".join(f"{k} {first[k]:.2f} → {last[k]:.2f}" for k in labels)
        + ".",
        "",
    ]
    if plotted:
        lines += ["![learning curve](learning_curve.png)", ""]
    (HERE / "LEARNING_CURVE.md").write_text("\n".join(lines), encoding="utf-8")
    print(
        f"wrote {HERE / 'LEARNING_CURVE.md'}"
        + (f" and {png}" if plotted else " (no matplotlib: no plot)")
    )


if __name__ == "__main__":
    main()
