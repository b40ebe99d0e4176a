"""Where training's time goes: cProfile of ``policyclf.train(evaluate=False)``, top entries.

Run:  python benchmarks/profile_train.py [--top 12]
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
    top = ap.parse_args().top
    import policyclf

    warnings.simplefilter("ignore")
    policyclf.load_taxonomy()
    prof = cProfile.Profile()
    prof.enable()
    policyclf.train(evaluate=False)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
