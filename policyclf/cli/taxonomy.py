"""``policyclf taxonomy``: print the codebook, the label counts of the bundled corpus, or the
Label Studio labelling interface generated from the taxonomy."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from ._common import UsageError

__all__ = ["add_parser", "run"]


def add_parser(
    subparsers: Any, parents: Sequence[argparse.ArgumentParser]
) -> argparse.ArgumentParser:
    """Register ``policyclf taxonomy``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "taxonomy",
        parents=list(parents),
        help="print the codebook (the measure types and how to apply them)",
        description="Print the codebook in Markdown: every measure type with its definition, "
        "what it includes and excludes, cue terms, examples and the decided boundary cases.",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--taxonomy", metavar="F", help="a taxonomy file (TOML/JSON; default: the bundled one)"
    )
    source.add_argument(
        "--model", "-m", metavar="PATH", help="print the taxonomy a saved model carries"
    )
    p.add_argument(
        "--stats",
        action="store_true",
        help="print the label counts of the bundled corpus (paragraphs and sentences) instead",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    p.add_argument(
        "--labelstudio-config",
        action="store_true",
        help="print the Label Studio labelling interface (XML) for the taxonomy instead: "
        "multiple choice, Chinese and English names, hotkeys 1-9",
    )
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``policyclf taxonomy``; returns the exit code."""
    out = sys.stdout
    if args.stats:
        if args.labelstudio_config:
            raise UsageError("--stats and --labelstudio-config: choose one")
        if args.taxonomy or args.model:
            raise UsageError("--stats counts the bundled corpus; it takes no --taxonomy/--model")
        from policyclf.corpus import format_label_counts, label_counts

        counts = label_counts()
        if args.json:
            out.write(json.dumps(counts, ensure_ascii=False, indent=2) + "\n")
        else:
            out.write(format_label_counts(counts))
        return 0
    if args.model:
        from ._common import load_model

        tax = load_model(args.model).taxonomy
    else:
        from policyclf.taxonomy import load_taxonomy

        tax = load_taxonomy(args.taxonomy)
    if args.labelstudio_config:
        if args.json:
            raise UsageError("--labelstudio-config prints XML; it takes no --json")
        from policyclf.annotation import labelstudio_config

        out.write(labelstudio_config(tax))
    elif args.json:
        out.write(json.dumps(tax.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(tax.codebook().rstrip("\n") + "\n")
    return 0
