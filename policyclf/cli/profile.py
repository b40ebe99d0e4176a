"""``policyclf profile``: the policy mix of a corpus by group, as a table and a plot.

Reads the documents (a folder, a glob, files, or a table of documents — whatever
:func:`policyclf.read_corpus` reads), tags every sentence (or paragraph), and reports per group
the share of units carrying each measure, corrected for the model's errors, with bootstrap
intervals. ``-o`` writes the tidy table (.csv or .xlsx, by the extension), ``--plot`` the
figure (.png, .svg or .pdf); neither replaces an existing file without ``--force``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import CLIError, UsageError, add_model_option, load_model, stdout_is_terminal
from ._table import display_width, printable

if TYPE_CHECKING:
    from policyclf.analysis.profiling import Profile

__all__ = ["PLOT_SUFFIXES", "TABLE_SUFFIXES", "add_parser", "run"]

#: ``-o`` extensions and what they write.
TABLE_SUFFIXES = {".csv": "csv", ".xlsx": "excel"}
#: ``--plot`` extensions.
PLOT_SUFFIXES = (".png", ".svg", ".pdf")

_EPILOG = """\
examples:
  policyclf profile docs/ --by year --plot mix.png
  policyclf profile "reports/*.html" --by issuer -o mix.xlsx --kind heatmap --plot mix.svg
  policyclf profile documents.jsonl --id-col id --by year --unit paragraph -o mix.csv --adjust

Without -o the table is printed (a summary on a terminal, CSV when piped). Documents that
cannot be read are left out of the shares and reported on stderr (and in the errors sheet
of an .xlsx table)."""


def add_parser(
    subparsers: Any, parents: Sequence[argparse.ArgumentParser]
) -> argparse.ArgumentParser:
    """Register ``policyclf profile``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "profile",
        parents=list(parents),
        help="profile the policy mix of a corpus by group (table and plot)",
        description="Tag every sentence of a corpus of documents and report, per group, the "
        "share carrying each policy measure — corrected for the model's errors, with "
        "bootstrap intervals.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="a folder, a glob, document files, or a table of documents (.csv/.tsv/.jsonl/"
        ".xlsx, one document per row)",
    )
    p.add_argument(
        "--by",
        metavar="COL",
        default=None,
        help="group by this metadata column "
        "(e.g. year, issuer; year is taken from date when absent); default: none",
    )
    p.add_argument(
        "--unit",
        choices=("sentence", "paragraph"),
        default="sentence",
        help="what is counted (default: sentence)",
    )
    p.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the table: .csv (UTF-8 with BOM) or .xlsx, by the extension",
    )
    p.add_argument("--plot", metavar="FILE", help="write a plot: .png, .svg or .pdf")
    p.add_argument(
        "--kind",
        choices=("bar", "heatmap", "line"),
        default=None,
        help="plot kind (default: line when grouping by year, else bar)",
    )
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument(
        "--adjust",
        action="store_true",
        help="also give shares corrected for the model's errors (adjusted_share); off by "
        "default: raw shares measured closest to coders' (benchmarks/PROFILE.md)",
    )
    p.add_argument(
        "--method",
        choices=("acc", "probability"),
        default=None,
        help="the correction (implies --adjust): adjusted classify-and-count, or averaged "
        "probabilities (the default)",
    )
    p.add_argument(
        "--text-col",
        default="text",
        metavar="NAME",
        help="text column of a table of documents (default: text)",
    )
    p.add_argument(
        "--id-col",
        default=None,
        metavar="NAME",
        help="document-id column of a table of documents (default: row number)",
    )
    p.add_argument(
        "--n-boot",
        type=int,
        default=1000,
        metavar="N",
        help="bootstrap replicates (default 1000; 0: no intervals)",
    )
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes")
    add_model_option(p)
    p.set_defaults(run=run)
    return p


def _check_output(path: str | None, allowed: Sequence[str], what: str, force: bool) -> None:
    if path is None:
        return
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise UsageError(
            f"{what} {path!r}: unknown extension {suffix or '(none)'}; use one of "
            + ", ".join(allowed)
        )
    if os.path.isdir(path):
        raise CLIError(f"{path}: is a folder")
    if os.path.exists(path) and not force:
        raise CLIError(f"{path}: already exists; pass --force to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CLIError(f"{path}: the folder {folder} does not exist")


def run(args: argparse.Namespace) -> int:
    """Run ``policyclf profile``; returns the exit code."""
    _check_output(args.output, tuple(TABLE_SUFFIXES), "--output", args.force)
    _check_output(args.plot, PLOT_SUFFIXES, "--plot", args.force)
    if args.output and args.plot and os.path.abspath(args.output) == os.path.abspath(args.plot):
        raise UsageError("--output and --plot name the same file")
    if args.n_boot < 0:
        raise UsageError(f"--n-boot must be 0 or more, got {args.n_boot}")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    if args.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
        except ImportError:
            raise CLIError('--plot needs matplotlib: pip install "policyclf[plot]"') from None
    model = load_model(args.model)
    source: Any = args.sources[0] if len(args.sources) == 1 else list(args.sources)
    prof = model.profile(
        source,
        by=args.by,
        unit=args.unit,
        adjust=args.adjust,
        method=args.method,
        n_boot=args.n_boot,
        seed=args.seed,
        text_col=args.text_col,
        id_col=args.id_col,
        n_jobs=args.jobs,
    )
    if args.output:
        if TABLE_SUFFIXES[Path(args.output).suffix.lower()] == "excel":
            prof.to_excel(args.output)
        else:
            prof.to_csv(args.output)
    if args.plot:
        _save_plot(prof, args.plot, args.kind or ("line" if args.by == "year" else "bar"))
    if not args.output:
        if stdout_is_terminal():
            sys.stdout.write(format_profile(prof) + "\n")
        else:
            prof.table.to_csv(sys.stdout, index=False)
    sys.stderr.write(f"policyclf: {prof.summary()}\n")
    return 0


def _save_plot(prof: Profile, path: str, kind: str) -> None:
    from policyclf.analysis.profiling import write_atomic

    ax = prof.plot(kind=kind)
    fig: Any = ax.figure
    try:
        write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=150, format=Path(path).suffix[1:]))
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def format_profile(prof: Profile) -> str:
    """The profile as an aligned text table: groups × labels, share [interval]."""
    wide, low, high, n = (
        prof.wide(c).to_numpy(dtype=float) for c in (None, "ci_low", "ci_high", "n_units")
    )
    head = [prof.by or "group", f"{prof.unit}s", *prof.labels]
    rows = [head]
    for i, g in enumerate(prof.groups):
        cells = [printable(str(g)), str(int(n[i, 0]))]
        for j in range(len(prof.labels)):
            cells.append(_cell(wide[i, j], low[i, j], high[i, j]))
        rows.append(cells)
    widths = [max(display_width(r[c]) for r in rows) for c in range(len(head))]
    lines = []
    for r in rows:
        parts = [
            c + " " * (w - display_width(c)) if k == 0 else " " * (w - display_width(c)) + c
            for k, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
    what = f"{'adjusted ' if prof.adjusted else ''}share of {prof.unit}s carrying each measure"
    return "\n".join([*lines, f"({what}, [{prof.level:.0%} interval])"])


def _cell(v: float, lo: float, hi: float) -> str:
    if v != v:  # NaN
        return "–"
    return f"{v:.0%} [{lo:.0%}–{hi:.0%}]" if lo == lo else f"{v:.0%}"
