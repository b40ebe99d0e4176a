"""Tagging on Dask: single process vs a LocalCluster with 1 and 2 workers, rows/s and memory.

Rows: sentences of the real documents in ``../shared/pool`` (split with policyclf's reader),
drawn with shuffled repetition to ``--sizes`` rows (default 100,000, 300,000 and 1,000,000),
written to Parquet files of ``--rows-per-file`` rows in a temporary folder (never into the
repository; the benchmark reports numbers only). Then, for each size:

* ``single process``: ``Model.tag_frame`` over each file in turn (one core);
* ``Dask, 1 worker`` and ``Dask, 2 workers``: ``tag_dask(dd.read_parquet(files))`` written with
  ``to_parquet`` on a fresh ``LocalCluster`` (127.0.0.1, one thread per worker process);

wall time from reading to the written output, rows/s, and the peak RSS of each worker process
(``ru_maxrss``, read from the workers at the end; for the single process its own peak, measured
in a child process so each size starts fresh). Evidence is off, as in ``tag_frame``.

Run:  python benchmarks/dask_scale.py [--sizes 100000 300000 1000000] [--rows-per-file 50000]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from _common import ROOT, md_table, record, update_results  # noqa: E402

__all__ = ["main", "run"]

POOL = ROOT.parent / "shared" / "pool"


def pool_sentences() -> list[str]:
    """Every sentence of the pool's documents (policy documents and work reports)."""
    from policyclf.readers.sentences import split_sentences

    out: list[str] = []
    for name in ("policies.jsonl", "government_work_reports.jsonl"):
        with open(POOL / name, encoding="utf-8") as f:
            for line in f:
                text = json.loads(line)["text"]
                out += [s.text for s in split_sentences(text) if len(s.text) >= 4]
    return out


def write_rows(folder: Path, sentences: list[str], n: int, per_file: int, seed: int) -> list[str]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    files = []
    for k, lo in enumerate(range(0, n, per_file)):
        m = min(per_file, n - lo)
        pick = rng.integers(0, len(sentences), size=m)
        df = pd.DataFrame({"text": [sentences[i] for i in pick.tolist()], "row": lo + np.arange(m)})
        path = folder / f"part-{k:04d}.parquet"
        df.to_parquet(path, index=False)
        files.append(str(path))
    return files


_SINGLE = """
import json, resource, sys, time
import pandas as pd
import policyclf
files = json.loads(sys.argv[1])
m = policyclf.load()
t0 = time.perf_counter()
rows = 0
for f in files:
    out = m.tag_frame(pd.read_parquet(f), "text")
    rows += len(out)
dt = time.perf_counter() - t0
print(json.dumps({"rows": rows, "seconds": dt,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def single(files: list[str]) -> dict[str, float]:
    res = subprocess.run(
        [sys.executable, "-c", _SINGLE, json.dumps(files)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    out: dict[str, float] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def on_dask(files: list[str], workers: int, out_dir: Path) -> dict[str, Any]:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from policyclf.dask import tag_dask

    def peak() -> float:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(lambda: __import__("policyclf").load())  # warm: imports + model, per worker
        t0 = time.perf_counter()
        out = tag_dask(dd.read_parquet(files), "text")
        out.to_parquet(str(out_dir), write_index=False)
        dt = time.perf_counter() - t0
        peaks = client.run(peak)
    return {"seconds": dt, "peak_mb": sorted(peaks.values())}


def run(sizes: list[int], per_file: int) -> dict[str, Any]:
    if not POOL.exists():
        print(f"skipped: {POOL} is absent")
        return {}
    sentences = pool_sentences()
    results: dict[str, Any] = {"sentences": len(sentences), "runs": []}
    rows_md = []
    with tempfile.TemporaryDirectory(prefix="policyclf-dask-") as tmp:
        base = Path(tmp)
        for n in sizes:
            data = base / f"in-{n}"
            data.mkdir()
            files = write_rows(data, sentences, n, per_file, seed=n)
            s = single(files)
            row = {"rows": n, "single": s}
            for w in (1, 2):
                d = on_dask(files, w, base / f"out-{n}-{w}")
                row[f"dask{w}"] = d
            results["runs"].append(row)
            print(json.dumps(row))
            rows_md.append(
                [
                    f"{n:,}",
                    f"{n / s['seconds']:,.0f}",
                    f"{s['peak_mb']:.0f}",
                    f"{n / row['dask1']['seconds']:,.0f}",
                    " / ".join(f"{p:.0f}" for p in row["dask1"]["peak_mb"]),
                    f"{n / row['dask2']['seconds']:,.0f}",
                    " / ".join(f"{p:.0f}" for p in row["dask2"]["peak_mb"]),
                ]
            )
    table = md_table(
        [
            "rows",
            "single process rows/s",
            "peak MB",
            "Dask 1 worker rows/s",
            "peak MB / worker",
            "Dask 2 workers rows/s",
            "peak MB / worker",
        ],
        rows_md,
    )
    first, last = results["runs"][0], results["runs"][-1]
    speedup = [r["dask1"]["seconds"] / r["dask2"]["seconds"] for r in results["runs"]]
    results["summary"] = (
        f"2 workers {min(speedup):.2f}-{max(speedup):.2f}x 1 worker; peak per worker "
        f"{max(first['dask2']['peak_mb']):.0f} MB at {first['rows']:,} rows, "
        f"{max(last['dask2']['peak_mb']):.0f} MB at {last['rows']:,} rows"
    )
    sizes_arg = " ".join(map(str, sizes))
    body = f"""## Dask

Sentences of the {len(sentences):,}-sentence pool (`../shared/pool`, split by policyclf's
reader), drawn with shuffled repetition, in Parquet files of {per_file:,} rows. Single process:
`Model.tag_frame` file by file in a fresh process. Dask: `tag_dask(dd.read_parquet(files))`
written with `to_parquet` on a fresh `LocalCluster` (127.0.0.1, one thread per worker process),
wall time after the workers have loaded the model. Peak MB: `ru_maxrss` of each process.

{table}

{results["summary"]}. This machine has 2 cores, shared with other work while measuring: the
two workers compete with the scheduler and the client for them.
Reproduce: `python benchmarks/dask_scale.py --sizes {sizes_arg} --rows-per-file {per_file}`.
"""
    print(table)
    update_results("dask", body)
    record("dask", results)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    ap.add_argument("--rows-per-file", type=int, default=50_000)
    a = ap.parse_args()
    run(a.sizes, a.rows_per_file)


if __name__ == "__main__":
    main()
