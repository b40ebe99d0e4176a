"""Where tag_many's time goes: each stage of one batch of 2,048 synthetic paragraphs, one core.

Every stage is timed on its own (process CPU time, best of ``--repeat``), in the order
``Model.tag_many`` runs them; the baseline pipeline on the same paragraphs is timed beside it.

Run:  python benchmarks/profile_tag.py [--n 2048] [--repeat 7]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import pickle  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from _common import build_paragraphs, md_table, one_core, train_baseline  # noqa: E402

__all__ = ["main"]


def best(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    out = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn()
        out = min(out, time.process_time() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=2048)
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    import numpy as np

    import policyclf
    from policyclf._scan import code_points
    from policyclf.text import normalize, normalize_many
    from policyclf.tokenize import segment

    paras = build_paragraphs(a.n)
    model = policyclf.load()
    feat = model.featurizer
    baseline = train_baseline()
    one_core(True)
    norms = [normalize(p) for p in paras]
    joined = "\n".join(norms)
    scan = feat._scan(norms)
    batch = feat._transform(norms)
    probs, contrib = model._scores(batch.rows)
    on = probs >= model.thresholds
    ids = feat._token_id_table()
    raw = segment(joined)
    tagged = model._tag_arrays(paras)
    stages = {
        "normalize (`normalize_many`, as `tag_many`)": lambda: normalize_many(paras),
        "segment the joined batch (rjieba)": lambda: segment(joined),
        "token ids (one dict lookup per token)": lambda: np.fromiter(
            map(ids.__getitem__, raw), dtype=np.int64, count=len(raw)
        ),
        "cue and frame terms (CueMatcher)": lambda: feat._cue_matcher.find(
            joined, code_points(joined)
        ),
        "the whole scan (the three above + code points)": lambda: feat._scan(norms),
        "term counts (bigrams + packed sort)": lambda: feat._count_scanned(norms, scan),
        "feature rows (_transform: scan + counts + TF-IDF)": lambda: feat._transform(norms),
        "scores (calibrated, gated)": lambda: model._scores(batch.rows),
        "evidence (Explainer.flat)": lambda: model._explainer.flat(batch, on, contrib),
        "Tag objects from a batch's arrays (`_tags_of`; with n_jobs > 1, the calling "
        "process's share)": lambda: model._tags_of(tagged),
        "a worker's result pickled and unpickled": lambda: pickle.loads(
            pickle.dumps(tagged, protocol=pickle.HIGHEST_PROTOCOL)
        ),
        "`tag_many(evidence=False)`": lambda: model.tag_many(paras, evidence=False),
        "`tag_many()`": lambda: model.tag_many(paras),
        "baseline `predict_proba`": lambda: baseline.predict_proba(paras),
    }
    rows = []
    total = None
    for name, fn in stages.items():
        s = best(fn, a.repeat)
        total = s if name == "baseline `predict_proba`" else total
        rows.append([name, f"{s * 1000:.1f}"])
        print(name, f"{s * 1000:.1f} ms", flush=True)
    print(md_table([f"stage ({a.n:,} paragraphs)", "CPU ms (best)"], rows))


if __name__ == "__main__":
    main()
