"""Choose the default model's design by grouped cross-validation on training data only.

Every candidate design is scored with :func:`policyclf.training.cross_validate` on the bundled
training rows — the corpus (grouped by city), the codebook examples, the supplement (grouped by
document kind) and the coded pool sentences (grouped by document) — with calibration, the measure
gate and thresholds tuned inside each training fold only.

Selection criterion, fixed before the grid was run: **macro-F1 on the pool sentences** (real
documents, where the model must tell measures from mentions), ties broken by the share of
no-measure pool sentences left unlabelled. The held-out pool documents, the held-out sentences and
the peer file are never used here; ``benchmarks/accuracy.py`` scores the chosen design and fixed
ablations on them once.

The levers: sentence-frame features (``labels/frames.toml``), the measure/no-measure gate, and the
regularisation C (cue features ×0.5 and character bigrams are kept from the v0.1 design).

Run:  python benchmarks/design.py        (a few minutes on 2 cores; writes benchmarks/DESIGN.md)
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from policyclf.taxonomy import load_taxonomy
from policyclf.training import DEFAULT_PARAMS, base_rows, cross_validate

HERE = Path(__file__).resolve().parent
POOL = "pool sentences"


def main() -> None:
    tax = load_taxonomy()
    rows = base_rows(tax)
    grid = [
        {
            "use_cues": True,
            "frames": frames,
            "gate": gate,
            "cue_scale": 0.5,
            "char_bigrams": True,
            "C": C,
            "min_df": 1,
        }
        for frames, gate, C in itertools.product([False, True], [False, True], [3.0, 10.0, 100.0])
    ]
    results = []
    t0 = time.perf_counter()
    for params in grid:
        rep = cross_validate(rows, tax, params)
        subsets = rep["cv"]["subsets"]
        # no-measure recall = the share of no-measure rows left without any label
        results.append((params, subsets, subsets[POOL]["no_measure"]["recall"]))
        print(
            f"frames={params['frames']!s:5} gate={params['gate']!s:5} C={params['C']:<6} "
            f"pool macro={subsets[POOL]['macro_f1']:.3f} "
            f"unlabelled={results[-1][2]:.3f} all macro={subsets['all']['macro_f1']:.3f}",
            flush=True,
        )
    best = max(results, key=lambda r: (round(r[1][POOL]["macro_f1"], 3), r[2]))
    n_pool = sum(r.source == "labels/pool/sentences.csv" for r in rows)
    lines = [
        "# How the default model's design was chosen",
        "",
        f"Grouped 5-fold cross-validation on the bundled training rows ({len(rows)} rows, of "
        f"which {n_pool} coded sentences of real pool documents, grouped by document; corpus by "
        "city, supplement by document kind, codebook examples as one group). Calibration, gate "
        "and thresholds are tuned inside each training fold. Selection criterion, fixed in "
        "advance: macro-F1 on the pool sentences (ties: share of their no-measure sentences left "
        "unlabelled). No held-out set is used here.",
        "",
        "Reproduce: `python benchmarks/design.py` "
        f"(this run took {time.perf_counter() - t0:.0f} s).",
        "",
        "| frames | gate | C | pool macro F1 | pool no-measure unlabelled | macro F1 (all rows) "
        "| " + " | ".join(f"pool {k}" for k in tax.ids) + " |",
        "| --- | --- | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in tax.ids) + " |",
    ]
    for params, s, unl in results:
        mark = " **(chosen)**" if params is best[0] else ""
        lines.append(
            f"| {'yes' if params['frames'] else 'no'} | {'yes' if params['gate'] else 'no'} | "
            f"{params['C']:g} | {s[POOL]['macro_f1']:.3f}{mark} | {unl:.3f} | "
            f"{s['all']['macro_f1']:.3f} | "
            + " | ".join(f"{s[POOL]['labels'][k]['f1']:.2f}" for k in tax.ids)
            + " |"
        )
    chosen = dict(best[0])
    lines += ["", f"Chosen: `{chosen}`.", ""]
    if chosen != DEFAULT_PARAMS:
        lines += [
            f"**Note:** `policyclf.training.DEFAULT_PARAMS` is `{DEFAULT_PARAMS}`, which differs "
            "from this run's choice; update it and retrain the default model.",
            "",
        ]
    (HERE / "DESIGN.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"chosen: {chosen}; wrote {HERE / 'DESIGN.md'}")


if __name__ == "__main__":
    main()
