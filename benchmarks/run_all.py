"""Run every benchmark, each in its own process, and regenerate benchmarks/RESULTS.md.

Run:  python benchmarks/run_all.py [--quick]      (about 5 minutes on 2 cores; --quick: smaller
inputs, about a minute, for checking that the scripts work — not for quoting)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from _common import DATA, RESULTS, write_summary

__all__ = ["main"]

HERE = Path(__file__).resolve().parent

FULL = [
    ["model_size.py"],
    ["cold_start.py", "--runs", "7"],
    ["train_cost.py", "--repeat", "3", "--factors", "10", "--report-factors", "100"],
    ["memory.py", "--sizes", "25000", "50000", "100000"],
    ["throughput.py", "--n", "10000", "--frame-rows", "100000", "--repeat", "3"],
    ["dask_scale.py", "--sizes", "100000", "300000", "1000000"],
]
QUICK = [
    ["model_size.py"],
    ["cold_start.py", "--runs", "5"],
    ["train_cost.py", "--repeat", "1", "--factors", "10", "--report-factors", "1"],
    ["memory.py", "--sizes", "2000", "4000"],
    ["throughput.py", "--n", "2000", "--frame-rows", "5000", "--repeat", "1"],
    ["dask_scale.py", "--sizes", "4000", "8000", "--rows-per-file", "2000"],
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small inputs (checks the scripts only)")
    quick = ap.parse_args().quick
    # start from scratch so RESULTS.md holds this run only
    for path in (RESULTS, DATA):
        path.unlink(missing_ok=True)
    started = time.perf_counter()
    for script in QUICK if quick else FULL:
        t0 = time.perf_counter()
        print(f"== {' '.join(script)}", flush=True)
        subprocess.run([sys.executable, str(HERE / script[0]), *script[1:]], check=True, cwd=HERE)
        print(f"   ({time.perf_counter() - t0:.0f} s)", flush=True)
    write_summary()
    print(f"all benchmarks: {time.perf_counter() - started:.0f} s; see {RESULTS}")


if __name__ == "__main__":
    main()
