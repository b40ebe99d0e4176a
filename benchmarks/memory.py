"""Peak memory of the CLI tagging a large CSV file, streamed, at three input sizes.

Writes CSV files (a ``text`` column) of 25,000, 50,000 and 100,000 distinct synthetic
paragraphs, then runs, each in a fresh process::

    policyclf tag --file big.csv --format csv --no-progress > /dev/null

and reads the peak resident set size of that process (``resource.getrusage(RUSAGE_CHILDREN)``
in a small wrapper process whose only child is the CLI). If the ``policyclf`` command cannot
be found, a streaming script (``csv`` module + ``Model.iter_tags``) is measured instead, and
the section says so. Also reported: the RSS of a process that only imports policyclf and
loads the model, i.e. the floor.

Run:  python benchmarks/memory.py [--sizes 25000 50000 100000]   (about a minute)
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import build_paragraphs, md_table, record, update_results

__all__ = ["main", "run"]

# Runs one command and prints the peak RSS of its process tree's largest process, in KB.
WRAPPER = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t0
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": done.returncode, "peak_kb": peak_kb, "wall": wall,
                  "stderr": done.stderr.decode("utf-8", "replace")[-2000:]}))
"""

STREAMING_SCRIPT = """
import csv, sys
import policyclf
m = policyclf.load()
csv.field_size_limit(2**31 - 1)
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    texts = (row["text"] for row in csv.DictReader(f))
    out = csv.writer(sys.stdout)
    for tag in m.iter_tags(texts):
        out.writerow([";".join(tag.labels), *tag.scores.values()])
"""

FLOOR = "import policyclf; policyclf.load().tag('对新引进的博士给予每人10万元安家补贴。')"


def _measure(cmd: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, check=True
    )
    out: dict[str, Any] = json.loads(done.stdout)
    if out["rc"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out['rc']}):\n{out['stderr']}")
    return out


def run(sizes: tuple[int, ...] = (25_000, 50_000, 100_000)) -> dict[str, Any]:
    """Measure, print and write the memory section; returns the metrics."""
    cli = shutil.which("policyclf") or (
        str(Path(sys.executable).with_name("policyclf"))
        if Path(sys.executable).with_name("policyclf").exists()
        else None
    )
    paragraphs = build_paragraphs(max(sizes), seed=2024)
    rows = []
    peaks: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"big_{n}.csv"
            with path.open("w", encoding="utf-8", newline="") as f:
                w = csv.writer(f)
                w.writerow(["id", "text"])
                for i, text in enumerate(paragraphs[:n]):
                    w.writerow([i, text])
            mb_file = path.stat().st_size / 1024**2
            if cli is not None:
                how = "`policyclf tag --file big.csv --format csv --no-progress > /dev/null`"
                cmd = [cli, "tag", "--file", str(path), "--format", "csv", "--no-progress"]
            else:
                how = "a streaming script (csv module + `Model.iter_tags`; the CLI was not found)"
                cmd = [sys.executable, "-c", STREAMING_SCRIPT, str(path)]
            t0 = time.perf_counter()
            m = _measure(cmd)
            seconds = time.perf_counter() - t0
            print(f"{n:>7,} rows: peak {m['peak_kb'] / 1024:.0f} MB in {seconds:.1f} s")
            peaks[n] = m["peak_kb"] / 1024
            rows.append(
                [
                    f"{n:,}",
                    f"{mb_file:.1f}",
                    f"{peaks[n]:.0f}",
                    f"{m['wall']:.1f}",
                    f"{n / m['wall']:,.0f}",
                ]
            )
    floor = _measure([sys.executable, "-c", FLOOR])["peak_kb"] / 1024
    big = peaks[max(sizes)]
    growth = max(peaks.values()) - min(peaks.values())
    flat = growth <= 0.1 * min(peaks.values())
    ok = big <= 300 and flat
    table = md_table(["paragraphs", "CSV MB", "peak RSS MB", "wall s", "paragraphs/s"], rows)
    verdict = (
        f"**Target met**: {big:.0f} MB ≤ 300 MB at {max(sizes):,} paragraphs, and the peak grows "
        f"by {growth:.0f} MB from {min(sizes):,} to {max(sizes):,} paragraphs."
        if ok
        else f"**Target missed**: {big:.0f} MB at {max(sizes):,} paragraphs (limit 300 MB), "
        f"growth {growth:.0f} MB from {min(sizes):,} to {max(sizes):,}."
    )
    body = f"""## Memory

Peak resident set size of {how}, each in a fresh process, on CSV files of distinct synthetic
paragraphs (an `id` and a `text` column). For scale: a process that only imports policyclf,
loads the default model and tags one sentence peaks at {floor:.0f} MB.

{table}

Target: peak RSS ≤ 300 MB for 100,000 paragraphs, flat as the input grows. {verdict}
Reproduce: `python benchmarks/memory.py --sizes {" ".join(map(str, sizes))}`.
"""
    print(table)
    update_results("memory", body)
    metrics = {
        "peak_mb": {str(k): v for k, v in peaks.items()},
        "floor_mb": floor,
        "how": "CLI" if cli else "iter_tags script",
    }
    record("memory", metrics)
    return metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    run(tuple(ap.parse_args().sizes))


if __name__ == "__main__":
    main()
