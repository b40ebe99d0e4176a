"""Where training's time goes: cProfile of ``policyclf.train(evaluate=False)``, top entries;
with ``--report-factor K``, of a grouped 5-fold report on the v0.1-sized rows replicated K times
(``train_cost.corpus_report``), plus the share of the time spent inside liblinear.

Run:  python benchmarks/profile_train.py [--top 12] [--report-factor 10]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import warnings

__all__ = ["main"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--report-factor", type=int, default=0, help="profile a report instead")
    a = ap.parse_args()
    import policyclf

    warnings.simplefilter("ignore")
    policyclf.load_taxonomy()
    prof = cProfile.Profile()
    from train_cost import corpus_report

    prof.enable()
    if a.report_factor:
        corpus_report(a.report_factor)
    else:
        policyclf.train(evaluate=False)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("cumulative").print_stats(a.top)
    print(out.getvalue())
    total = stats.total_tt  # type: ignore[attr-defined]
    inside = sum(
        v[3] for k, v in stats.stats.items() if k[2] == "_fit_liblinear"  # type: ignore[attr-defined]
    )
    share = inside / total
    print(f"liblinear (sklearn _fit_liblinear): {inside:.1f} s of {total:.1f} s ({share:.0%})")


if __name__ == "__main__":
    main()
