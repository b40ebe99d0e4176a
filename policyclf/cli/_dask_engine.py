"""``policyclf tag --engine dask``: tag Parquet/CSV/JSONL files on a Dask cluster.

::

    policyclf tag --engine dask 'data/*.parquet' -o tagged/              # a local cluster
    policyclf tag --engine dask --workers 8 data/part-*.csv -o tagged/
    policyclf tag --engine dask --scheduler tcp://10.0.0.5:8786 'data/*.parquet' -o tagged/

The output is a folder of Parquet files (one per partition, written with pyarrow), holding every
input column plus ``labels``, ``score_<id>``, ``error`` (and ``evidence`` with ``--evidence``).
It is written into a hidden sibling folder first and renamed when complete, so a failed run
leaves nothing behind; an existing folder is replaced only with ``--force``.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from ._common import CLIError, UsageError

__all__ = ["add_dask_options", "run_dask"]

_READERS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "json"}


def add_dask_options(p: argparse.ArgumentParser) -> None:
    """The options of ``policyclf tag`` for the Dask engine."""
    p.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="local: this process (default); dask: a Dask cluster, for Parquet/CSV/JSONL files "
        "given as TEXT arguments (paths or quoted globs), written to the folder -o as Parquet "
        "(needs: pip install 'policyclf[dask]')",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --engine dask: the scheduler of a running cluster (tcp://host:8786); "
        "default: start a local cluster on this machine",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="with --engine dask and no --scheduler: worker processes of the local cluster "
        "(default: one per CPU core)",
    )
    p.add_argument(
        "--evidence",
        action="store_true",
        help="with --engine dask: add an evidence column (JSON)",
    )


def run_dask(args: argparse.Namespace) -> int:
    """Run ``policyclf tag --engine dask``; returns the exit code."""
    try:
        import dask.dataframe as dd
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "--engine dask needs Dask: pip install 'policyclf[dask]' (dask, distributed, pyarrow)"
        ) from None
    from policyclf.dask import tag_dask

    files = _inputs(list(args.texts) + list(args.file or []))
    if not args.output:
        raise UsageError("--engine dask writes a folder of Parquet files: give it with -o FOLDER")
    target = Path(args.output)
    if target.exists() and not args.force:
        raise CLIError(f"{target} exists; use --force to replace it")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    kind = _kind(files)
    ddf = _read(dd, kind, files, args)
    cluster: Any = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(
            n_workers=args.workers or (os.cpu_count() or 1),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = Client(cluster)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    try:
        out = tag_dask(ddf, text_col=args.text_col, model=args.model, evidence=args.evidence)
        out.to_parquet(str(tmp), engine="pyarrow", write_index=True)
        errors = int((out["error"] != "").sum().compute())
        rows = int(out.shape[0].compute())
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        client.close()
        if cluster is not None:
            cluster.close()
    print(
        f"policyclf: tagged {rows:,} rows into {target}/ ({errors:,} not tagged)", file=sys.stderr
    )
    return 1 if errors and args.strict else 0


def _inputs(patterns: list[str]) -> list[str]:
    if not patterns:
        raise UsageError("--engine dask: give input files or quoted globs ('data/*.parquet')")
    files: list[str] = []
    for pattern in patterns:
        found = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not found:
            raise CLIError(f"--engine dask: no file matches {pattern!r}")
        for f in found:
            if not os.path.isfile(f):
                raise CLIError(f"--engine dask: not a file: {f}")
        files += found
    return files


def _kind(files: list[str]) -> str:
    kinds = {_READERS.get(Path(f).suffix.lower()) for f in files}
    if None in kinds or len(kinds) != 1:
        raise UsageError(
            "--engine dask reads Parquet (.parquet), CSV (.csv) or JSON Lines (.jsonl) files, "
            f"all of one kind; got {sorted({Path(f).suffix for f in files})}"
        )
    kind = kinds.pop()
    assert kind is not None
    return kind


def _read(dd: Any, kind: str, files: list[str], args: argparse.Namespace) -> Any:
    encoding = args.encoding or "utf-8"
    if kind == "parquet":
        ddf = dd.read_parquet(files, engine="pyarrow")
    elif kind == "csv":
        ddf = dd.read_csv(
            files, encoding=encoding, dtype=str, keep_default_na=False, blocksize="16MB"
        )
    else:
        ddf = dd.read_json(files, lines=True, encoding=encoding, blocksize=2**24)
    if args.text_col not in ddf.columns:
        raise CLIError(f"no column {args.text_col!r} in {files[0]}; it has {list(ddf.columns)}")
    return ddf
