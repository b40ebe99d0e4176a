"""``policyclf train``: train a model on the bundled data plus your labelled files, and save it.

Every added file is validated before anything is trained or written; all problems are listed
in one error (exit code 1). The model folder holds the model and its evaluation report
(``report.md``, ``report.json``); it is written atomically, and an existing folder is replaced
only with ``--overwrite``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._common import CLIError, UsageError, add_encoding_option, check_encoding

__all__ = ["add_parser", "format_training_summary", "run"]


def add_parser(
    subparsers: Any, parents: Sequence[argparse.ArgumentParser]
) -> argparse.ArgumentParser:
    """Register ``policyclf train``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "train",
        parents=list(parents),
        help="train a model on the bundled data plus your labelled files",
        description="Train a model on the bundled corpus plus your labelled files, evaluate it "
        "by grouped cross-validation, and save model and report to a folder.",
        epilog="examples:\n"
        "  policyclf train --add my_labels.csv --out models/zhejiang --name zhejiang\n"
        "  policyclf train --add a.csv b.xlsx --no-base --taxonomy my_taxonomy.toml --out m2\n\n"
        "Label files: CSV/TSV/JSONL with columns text and labels (ids or Chinese names separated "
        "by ;), optional id and group; Excel .xlsx; Label Studio and doccano exports.",
    )
    p.add_argument(
        "--add",
        nargs="+",
        action="extend",
        default=[],
        metavar="FILE",
        help="labelled files to add to the training data (repeatable)",
    )
    p.add_argument(
        "--no-base",
        action="store_true",
        help="train on the added files only, without the bundled corpus",
    )
    p.add_argument(
        "--taxonomy", metavar="F", help="a taxonomy file (TOML/JSON; default: the bundled one)"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder to save the model in")
    p.add_argument("--name", metavar="N", help="a name for the model (stored in its metadata)")
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing model folder at --out"
    )
    p.add_argument(
        "--no-eval",
        action="store_true",
        help="skip the grouped cross-validation (faster; the report then has no metrics)",
    )
    p.add_argument(
        "--folds", type=int, default=5, metavar="K", help="cross-validation folds (default 5)"
    )
    add_encoding_option(p, "CSV/TSV/JSONL label files")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``policyclf train``; returns the exit code."""
    if args.no_base and not args.add:
        raise UsageError("--no-base needs --add FILE…: there would be nothing to train on")
    if args.folds < 2:
        raise UsageError(f"--folds must be at least 2, got {args.folds}")
    encoding = check_encoding(args.encoding)
    _check_out(args.out, args.overwrite)
    for f in args.add:
        if not os.path.isfile(f):
            what = "is a folder, not a file" if os.path.isdir(f) else "no such file"
            raise CLIError(f"{f}: {what}")

    import policyclf

    what = "the bundled data" if not args.no_base else ""
    if args.add:
        added = f"{len(args.add)} file{'s' if len(args.add) > 1 else ''}"
        what = f"{what} + {added}" if what else added
    step = "training and evaluating" if not args.no_eval else "training"
    print(f"policyclf: {step} on {what} …", file=sys.stderr, flush=True)
    started = time.perf_counter()
    model = policyclf.train(
        extra=args.add or None,
        base=not args.no_base,
        taxonomy=args.taxonomy,
        name=args.name,
        evaluate=not args.no_eval,
        n_folds=args.folds,
        encoding=encoding,
    )
    seconds = time.perf_counter() - started
    saved = model.save(args.out, overwrite=args.overwrite)

    from policyclf.persistence import fingerprint

    out = sys.stdout
    out.write(format_training_summary(model.metadata, model.report) + "\n")
    out.write(f"\nTrained in {seconds:.1f} s.\n")
    out.write(f"Model saved to {saved}\n")
    out.write(f"  fingerprint sha256:{fingerprint(saved)}\n")
    if model.report:
        out.write(f"  report: {Path(saved) / 'report.md'} (and report.json)\n")
    out.write(f'Use it with: policyclf tag --model {saved} "…"  or  policyclf.load("{saved}")\n')
    return 0


def _check_out(out: str, overwrite: bool) -> None:
    """Refuse early (before training) to write over something that is not ours to replace."""
    from policyclf.persistence import MANIFEST_NAME

    path = Path(out)
    if not os.path.lexists(path):
        return
    if path.is_symlink() or not path.is_dir():
        raise CLIError(f"{out} already exists and is not a folder; choose another --out")
    if not any(path.iterdir()):
        return
    if not (path / MANIFEST_NAME).is_file():
        raise CLIError(
            f"{out} already exists and is not a policyclf model folder; choose another --out"
        )
    if not overwrite:
        raise CLIError(
            f"a model already exists at {out}; pass --overwrite to replace it, or choose "
            "another --out"
        )


def format_training_summary(metadata: Mapping[str, Any], report: Mapping[str, Any]) -> str:
    """The text ``policyclf train`` prints: data counts, CV summary, per-label F1 (before/after)."""
    lines: list[str] = []
    name = metadata.get("name", "(unnamed)")
    rows, added = metadata.get("rows"), metadata.get("added_rows", 0)
    base = rows - added if isinstance(rows, int) and isinstance(added, int) else None
    counts = f"{rows} rows"
    if added:
        counts += f" ({base} bundled + {added} added)" if metadata.get("base") else " (added)"
    lines.append(
        f"Model {name!r}: trained on {counts}, taxonomy {metadata.get('taxonomy_version')}."
    )
    cv = report.get("cv") if report else None
    if not cv:
        lines.append("No evaluation (--no-eval): the report has no metrics.")
        return "\n".join(lines)
    overall = cv.get("subsets", {}).get("all", {})
    kind = "Grouped" if cv.get("grouped", True) else "Random (ungrouped: only one group)"
    if overall:
        lines.append(
            f"{kind} {cv.get('n_folds')}-fold cross-validation: micro F1 "
            f"{overall['micro_f1']:.3f}, macro F1 {overall['macro_f1']:.3f} "
            f"on {overall['n']} texts."
        )
    comparison = report.get("comparison")
    lines.append("")
    if comparison:
        with_ci = "micro_interval" in comparison
        lines.append("Per-label F1 on the same folds, without and with the added data:")
        head = f"  {'label':<14}{'without':>9}{'with':>9}{'change':>9}"
        lines.append(head + (f"  {'95% interval':<18}verdict" if with_ci else ""))
        from policyclf.evaluation import comparison_rows

        for k, b, a, ci, verdict in comparison_rows(comparison):
            line = f"  {k:<14}{b:>9.3f}{a:>9.3f}{a - b:>+9.3f}"
            if with_ci and ci:
                line += f"  {f'[{ci[0]:+.3f}, {ci[1]:+.3f}]':<18}{verdict}"
            lines.append(line)
        helped, hurt = comparison.get("helped", []), comparison.get("hurt", [])
        lines.append("")
        if with_ci:
            meta = comparison.get("interval", {})
            lines.append(
                "The added data helped: "
                + (", ".join(helped) if helped else "no label")
                + "; hurt: "
                + (", ".join(hurt) if hurt else "no label")
                + f" (helped/hurt only when the whole 95% interval of the change is above/below "
                f"zero; {meta.get('method', 'paired bootstrap')})."
            )
        else:
            lines.append(
                "The added data helped: "
                + (", ".join(helped) if helped else "no label")
                + ("; hurt: " + ", ".join(hurt) if hurt else "")
                + " (changes under 0.005 count as no change)."
            )
    elif overall:
        lines.append(f"Per-label scores ({kind.lower()} cross-validation):")
        lines.append(f"  {'label':<14}{'precision':>10}{'recall':>9}{'F1':>8}{'support':>9}")
        for k, v in overall["labels"].items():
            lines.append(
                f"  {k:<14}{v['precision']:>10.3f}{v['recall']:>9.3f}{v['f1']:>8.3f}"
                f"{v['support']:>9}"
            )
    return "\n".join(lines)
