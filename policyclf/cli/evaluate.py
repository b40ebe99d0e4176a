"""``policyclf evaluate``: score a model on labelled data you held out."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from ._common import CLIError, add_encoding_option, add_model_option, check_encoding, load_model

__all__ = ["add_parser", "format_metrics", "run"]


def add_parser(
    subparsers: Any, parents: Sequence[argparse.ArgumentParser]
) -> argparse.ArgumentParser:
    """Register ``policyclf evaluate``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "evaluate",
        parents=list(parents),
        help="score a model on labelled data you held out",
        description="Score a model on labelled files (same formats as `policyclf train --add`): "
        "per-label precision, recall, F1, Cohen's kappa and support, micro and macro F1.",
        epilog="example:\n  policyclf evaluate --model models/zhejiang holdout.csv --out reports/",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="labelled files to score the model on")
    add_model_option(p)
    p.add_argument(
        "--out", metavar="DIR", help="also save the report as DIR/report.json and DIR/report.md"
    )
    p.add_argument(
        "--format",
        choices=("table", "json", "markdown"),
        default="table",
        help="how to print the report (default: table)",
    )
    add_encoding_option(p, "CSV/TSV/JSONL label files")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``policyclf evaluate``; returns the exit code."""
    encoding = check_encoding(args.encoding)
    for f in args.files:
        if not os.path.isfile(f):
            what = "is a folder, not a file" if os.path.isdir(f) else "no such file"
            raise CLIError(f"{f}: {what}")
    model = load_model(args.model)

    import policyclf

    data: Any = args.files[0] if len(args.files) == 1 else list(args.files)
    report = policyclf.evaluate(model, data, encoding=encoding)
    out = sys.stdout
    if args.format == "json":
        out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    elif args.format == "markdown":
        out.write(report.to_markdown().rstrip("\n") + "\n")
    else:
        out.write(f"{report.get('description', '')}\n\n")
        out.write(format_metrics(report["metrics"]) + "\n")
    if args.out:
        js, md = report.save(args.out)
        print(f"policyclf: report saved to {md} and {js}", file=sys.stderr)
    return 0


def format_metrics(metrics: Mapping[str, Any]) -> str:
    """A plain-text table of per-label metrics (as in ``label_metrics``)."""
    head = f"{'label':<14}{'precision':>10}{'recall':>9}{'F1':>8}{'kappa':>8}{'support':>9}"
    lines = [head, "-" * len(head)]
    for k, v in metrics["labels"].items():
        lines.append(
            f"{k:<14}{v['precision']:>10.3f}{v['recall']:>9.3f}{v['f1']:>8.3f}"
            f"{_num(v.get('kappa')):>8}{v['support']:>9}"
        )
    nm = metrics.get("no_measure")
    if nm:
        lines.append(
            f"{'(no measure)':<14}{nm['precision']:>10.3f}{nm['recall']:>9.3f}{nm['f1']:>8.3f}"
            f"{'':>8}{nm['support']:>9}"
        )
    lines.append("")
    lines.append(
        f"micro F1 {metrics['micro_f1']:.3f}  macro F1 {metrics['macro_f1']:.3f}  "
        f"exact match {metrics.get('exact_match', float('nan')):.3f}  n = {metrics['n']}"
    )
    return "\n".join(lines)


def _num(value: object) -> str:
    if isinstance(value, (int, float)) and value == value:  # not NaN
        return f"{value + 0.0:.3f}"
    return "—"
