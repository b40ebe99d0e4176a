"""``policyclf info``: what a model is, where it came from, how good it is, and its fingerprint.

The fingerprint is the sha256 of the model's ``manifest.json``; the manifest lists the sha256
of every other file, so equal fingerprints mean identical models (see SECURITY.md). ``info``
also loads the model, which verifies every file against the manifest, and says whether that
succeeded (exit code 3 if not).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from ._common import EXIT_MODEL, UsageError, error

__all__ = ["add_parser", "model_info", "run"]


def add_parser(
    subparsers: Any, parents: Sequence[argparse.ArgumentParser]
) -> argparse.ArgumentParser:
    """Register ``policyclf info``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "info",
        parents=list(parents),
        help="show a model's metadata, fingerprint and evaluation summary",
        description="Show a model's metadata (name, creation time, versions, taxonomy and data "
        "hashes, training rows), its fingerprint (sha256 of manifest.json) and the summary of "
        "its evaluation report. Loading verifies every file against the manifest.",
    )
    p.add_argument(
        "path", nargs="?", metavar="MODEL", help="a model folder (default: the bundled model)"
    )
    p.add_argument("--model", "-m", metavar="PATH", help="the same as MODEL")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``policyclf info``; returns the exit code."""
    if args.path and args.model and args.path != args.model:
        raise UsageError("give the model folder once (as MODEL or --model)")
    import policyclf

    path = args.path or args.model or policyclf.default_model_path()
    info = model_info(path)
    out = sys.stdout
    if args.json:
        out.write(json.dumps(info, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(format_info(info) + "\n")
    if info["verified"] is not True:
        error(f"the model does not load: {info['verified']}")
        return EXIT_MODEL
    return 0


def model_info(path: Any) -> dict[str, Any]:
    """Everything ``policyclf info`` shows, as plain data.

    Raises:
        ModelFileError: the folder has no readable policyclf manifest.
    """
    import policyclf
    from policyclf.exceptions import ModelFileError
    from policyclf.persistence import fingerprint, read_manifest

    manifest = read_manifest(path, check_version=False)
    meta = manifest.get("meta", {}) if isinstance(manifest.get("meta"), Mapping) else {}
    metadata = meta.get("metadata", {}) if isinstance(meta.get("metadata"), Mapping) else {}
    info: dict[str, Any] = {
        "path": str(path),
        "fingerprint": fingerprint(path),
        "format_version": manifest.get("format_version"),
        "saved_by": manifest.get("policyclf_version"),
        "created": metadata.get("created", manifest.get("created")),
        "name": metadata.get("name"),
        "labels": meta.get("labels"),
        "metadata": dict(metadata),
        "files": {
            k: v.get("bytes")
            for k, v in manifest.get("files", {}).items()
            if isinstance(v, Mapping)
        },
        "report_summary": None,
        "verified": True,
    }
    try:
        model = policyclf.load(path)
    except ModelFileError as exc:
        info["verified"] = str(exc)
        return info
    if model.report:
        from policyclf.evaluation import Report

        info["report_summary"] = Report(model.report).summary()
        comparison = model.report.get("comparison")
        if comparison:
            info["added_data_helped"] = comparison.get("helped", [])
            info["added_data_hurt"] = comparison.get("hurt", [])
    return info


def format_info(info: Mapping[str, Any]) -> str:
    """The text form of :func:`model_info`."""
    md = info.get("metadata", {})
    rows: list[tuple[str, str]] = [
        ("model", info["path"]),
        ("name", str(info.get("name") or "(unnamed)")),
        ("created", str(info.get("created") or "unknown")),
        ("fingerprint", f"sha256:{info['fingerprint']}  (sha256 of manifest.json)"),
        (
            "versions",
            f"saved by policyclf {info.get('saved_by')} (format {info.get('format_version')}); "
            f"trained with Python {md.get('python', '?')}, numpy {md.get('numpy', '?')}, "
            f"scikit-learn {md.get('scikit_learn', '?')}",
        ),
        ("labels", ", ".join(info.get("labels") or [])),
        (
            "taxonomy",
            f"{md.get('taxonomy_version', '?')}  sha256:{md.get('taxonomy_sha256', '?')}",
        ),
    ]
    data = f"{md.get('rows', '?')} rows"
    if md.get("added_rows"):
        data += f" ({md['added_rows']} added" + (
            ", plus the bundled corpus)" if md.get("base") else ", without the bundled corpus)"
        )
    data += f"  sha256:{md.get('data_sha256', '?')}"
    rows.append(("training data", data))
    metrics = md.get("metrics") or {}
    if metrics:
        parts = [
            f"{k}: micro F1 {v.get('micro_f1', float('nan')):.3f}, macro F1 "
            f"{v.get('macro_f1', float('nan')):.3f} (n={v.get('n', '?')})"
            for k, v in metrics.items()
            if isinstance(v, Mapping)
        ]
        rows.append(("metrics", parts[0] if parts else "none"))
        rows += [("", p) for p in parts[1:]]
    else:
        rows.append(("metrics", "none (trained without evaluation)"))
    if info.get("report_summary") and info["report_summary"] != "no metrics":
        rows.append(("report", str(info["report_summary"])))
    if info.get("added_data_helped") is not None:
        helped = ", ".join(info["added_data_helped"]) or "no label"
        hurt = ", ".join(info.get("added_data_hurt") or []) or "no label"
        rows.append(("added data", f"helped {helped}; hurt {hurt}"))
    verified = info.get("verified")
    rows.append(("verified", "yes: every file matches the manifest" if verified is True else "NO"))
    width = max(len(k) for k, _ in rows) + 2
    return "\n".join(f"{k:<{width}}{v}".rstrip() for k, v in rows)
