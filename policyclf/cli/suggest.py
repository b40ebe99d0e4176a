"""``policyclf suggest``: the texts most worth labelling next, as a batch for an annotation tool.

Reads documents (files, folders) or tables of texts (CSV/TSV/JSONL/Excel), ranks their
sentences with :func:`policyclf.active.suggest`, and writes the batch pre-annotated with the
model's labels: Label Studio tasks JSON, doccano JSONL, CSV for Excel, or plain JSONL.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._common import UsageError, add_model_option, load_model

__all__ = ["add_parser", "run"]


def add_parser(
    subparsers: Any, parents: Sequence[argparse.ArgumentParser]
) -> argparse.ArgumentParser:
    """Register ``policyclf suggest``."""
    from policyclf.active import STRATEGIES
    from policyclf.annotation import BATCH_FORMATS

    p: argparse.ArgumentParser = subparsers.add_parser(
        "suggest",
        parents=list(parents),
        help="choose the texts most worth labelling next (a batch for Label Studio, doccano, "
        "Excel)",
        description="Rank the sentences of documents (or the rows of tables of texts) by how "
        "much labelling them would teach the model — closeness to a label's threshold, weight "
        "of weak and rare labels, diversity — and write the best N, pre-annotated with the "
        "model's labels, for an annotation tool.",
        epilog="examples:\n"
        "  policyclf suggest notices/ -n 200 -o batch.json            # Label Studio tasks\n"
        "  policyclf suggest notices/ -n 200 --format doccano -o batch.jsonl\n"
        "  policyclf suggest rows.csv -n 100 -o batch.csv --exclude coded.csv\n"
        "  policyclf taxonomy --labelstudio-config > interface.xml    # the labelling interface\n\n"
        "Label the batch, export it (Label Studio: JSON; doccano: JSONL; Excel: fill the labels "
        "column) and retrain: policyclf train --add EXPORT --out models/NAME",
    )
    p.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="documents (plain-text files or folders of them) or tables of texts (CSV/TSV/"
        "JSONL/.xlsx with a text column)",
    )
    p.add_argument(
        "-n", type=int, default=200, metavar="N", help="how many texts to suggest (default 200)"
    )
    p.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="default",
        help="default: uncertainty weighted by weak/rare labels, with diversity; "
        "uncertainty: closest to a threshold only; random: a random sample",
    )
    p.add_argument(
        "--format",
        choices=BATCH_FORMATS,
        default=None,
        help="labelstudio (tasks JSON with predictions), doccano (JSONL), csv (for Excel, empty "
        "labels column), jsonl (the batch as is); default: from the -o extension "
        "(.json → labelstudio, .csv → csv, .jsonl → jsonl), else jsonl",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")
    p.add_argument(
        "--exclude",
        nargs="+",
        action="extend",
        default=[],
        metavar="FILE",
        help="files whose texts are never suggested again: earlier batches, labelled files, "
        "annotation-tool exports (repeatable)",
    )
    p.add_argument("--seed", type=int, default=0, help="breaks ties; random sample (default 0)")
    p.add_argument(
        "--text-col", default=None, metavar="COL", help="the text column of tables (default: text)"
    )
    p.add_argument(
        "--force",
        "--overwrite",
        dest="overwrite",
        action="store_true",
        help="replace an existing -o file",
    )
    add_model_option(p)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``policyclf suggest``; returns the exit code."""
    from policyclf.active import suggest
    from policyclf.annotation import render_batch, write_batch

    if args.n < 1:
        raise UsageError(f"-n must be at least 1, got {args.n}")
    fmt = args.format
    if args.output is None and fmt is None:
        fmt = "jsonl"
    elif fmt is None:
        fmt = {".json": "labelstudio", ".csv": "csv", ".jsonl": "jsonl"}.get(
            Path(args.output).suffix.lower()
        )
        if fmt is None:
            raise UsageError(
                f"cannot tell the batch format from {args.output!r}: pass --format, or name "
                "the file .json (Label Studio), .csv or .jsonl"
            )
    if args.output is not None and not args.overwrite and Path(args.output).exists():
        raise UsageError(f"{args.output} already exists; pass --force to replace it")
    missing = [s for s in args.sources if not Path(s).exists()]
    if missing:
        raise FileNotFoundError(2, "no such file or folder", missing[0])
    model = load_model(args.model)
    batch = suggest(
        model,
        [Path(s) for s in args.sources],
        n=args.n,
        strategy=args.strategy,
        exclude=[Path(e) for e in args.exclude] or None,
        seed=args.seed,
        text_col=args.text_col,
    )
    version = f"policyclf {model.metadata.get('name', 'model')}"
    if args.output is None:
        sys.stdout.write(render_batch(batch, fmt, model_version=version).lstrip("\ufeff"))
    else:
        write_batch(batch, args.output, fmt, model_version=version, overwrite=args.overwrite)
    a = batch.attrs
    reasons = batch["reason"].value_counts().to_dict() if len(batch) else {}
    sys.stderr.write(
        f"policyclf: suggested {len(batch)} of {a.get('eligible', 0)} eligible texts "
        f"({a.get('candidates', 0)} read; {a.get('excluded', 0)} already labelled or excluded, "
        f"{a.get('repeats', 0)} repeats, {a.get('too_short', 0)} too short)"
        + (f"; reasons: {', '.join(f'{k} {v}' for k, v in reasons.items())}" if reasons else "")
        + (f"; written to {args.output}" if args.output else "")
        + "\n"
    )
    return 0
