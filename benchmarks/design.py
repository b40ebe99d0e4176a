"""Choose the default model's design by grouped cross-validation.

Every candidate design is scored with :func:`policyclf.training.cross_validate` on the bundled
training rows: 5 folds grouped by city (corpus), document kind (supplement) and codebook, with
calibration and thresholds tuned inside each training fold only. The design with the best
macro F1 over all held-out rows is the default (``policyclf.training.DEFAULT_PARAMS``).
Neither the held-out test sentences (tests/data) nor the peer file (../shared/eval) is used
here: they are scored once, for the chosen design and a fixed list of ablations, by
``benchmarks/accuracy.py``.

Run:  python benchmarks/design.py        (about a minute on 2 cores; writes benchmarks/DESIGN.md)
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from policyclf.taxonomy import load_taxonomy
from policyclf.training import DEFAULT_PARAMS, base_rows, cross_validate

HERE = Path(__file__).resolve().parent


def main() -> None:
    tax = load_taxonomy()
    rows = base_rows(tax)
    grid = []
    for cues, bigrams in itertools.product([False, True], [False, True]):
        for C in [1.0, 10.0, 100.0]:
            scales = [0.5, 1.0, 2.0] if cues else [1.0]
            for scale in scales:
                grid.append(
                    {
                        "use_cues": cues,
                        "cue_scale": scale,
                        "char_bigrams": bigrams,
                        "C": C,
                        "min_df": 1,
                    }
                )
    results = []
    t0 = time.perf_counter()
    for params in grid:
        rep = cross_validate(rows, tax, params)
        subsets = rep["cv"]["subsets"]
        results.append((params, subsets))
        print(
            f"cues={params['use_cues']!s:5} scale={params['cue_scale']:<4} "
            f"bigrams={params['char_bigrams']!s:5} C={params['C']:<6} "
            f"all macro={subsets['all']['macro_f1']:.3f} micro={subsets['all']['micro_f1']:.3f} "
            f"| corpus sent macro={subsets['corpus sentences']['macro_f1']:.3f}",
            flush=True,
        )
    best = max(results, key=lambda r: (round(r[1]["all"]["macro_f1"], 3), r[1]["all"]["micro_f1"]))
    lines = [
        "# How the default model's design was chosen",
        "",
        "Grouped 5-fold cross-validation on the bundled training rows "
        f"({len(rows)} rows: corpus sentences and paragraphs grouped by city, codebook examples, "
        "supplement grouped by document kind). Calibration and thresholds are tuned inside each "
        "training fold. Selection criterion, fixed in advance: macro F1 over all held-out rows "
        "(ties: micro F1). The held-out test sentences and the peer file are not used here.",
        "",
        "Reproduce: `python benchmarks/design.py` "
        f"(this run took {time.perf_counter() - t0:.0f} s).",
        "",
        "| cue features | cue scale | char bigrams | C | macro F1 (all) | micro F1 (all) "
        "| macro F1 (corpus sentences) | macro F1 (corpus paragraphs) | macro F1 (supplement) |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for params, s in results:
        mark = " **(chosen)**" if params is best[0] else ""
        lines.append(
            f"| {'yes' if params['use_cues'] else 'no'} | "
            f"{params['cue_scale'] if params['use_cues'] else '–'} | "
            f"{'yes' if params['char_bigrams'] else 'no'} | {params['C']:g} | "
            f"{s['all']['macro_f1']:.3f}{mark} | {s['all']['micro_f1']:.3f} | "
            f"{s['corpus sentences']['macro_f1']:.3f} | {s['corpus paragraphs']['macro_f1']:.3f} | "
            f"{s['supplement']['macro_f1']:.3f} |"
        )
    chosen = {k: best[0][k] for k in ("use_cues", "cue_scale", "char_bigrams", "C", "min_df")}
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
