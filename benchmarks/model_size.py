"""Size on disk of the bundled default model (``models/default``), file by file.

Run:  python benchmarks/model_size.py    (instant; writes its section of RESULTS.md)
"""

from __future__ import annotations

from typing import Any

from _common import ROOT, md_table, record, update_results

__all__ = ["main", "run"]

LIMIT_MB = 5.0


def run() -> dict[str, Any]:
    """Measure, print and write the model-size section; returns the metrics."""
    folder = ROOT / "models" / "default"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    sizes = {str(p.relative_to(folder)): p.stat().st_size for p in files}
    total = sum(sizes.values())
    rows = [[f"`{name}`", f"{size:,}", f"{size / 1024**2:.3f}"] for name, size in sizes.items()]
    rows.append(["**total**", f"**{total:,}**", f"**{total / 1024**2:.3f}**"])
    table = md_table(["file", "bytes", "MB"], rows)
    mb = total / 1024**2
    verdict = (
        f"**Target met** ({mb:.2f} MB ≤ {LIMIT_MB:g} MB)."
        if mb <= LIMIT_MB
        else f"**Target missed** by {mb - LIMIT_MB:.2f} MB."
    )
    body = f"""## Model size

The bundled default model folder `models/default` (JSON + one compressed npz; no pickle).

{table}

Target: ≤ {LIMIT_MB:g} MB. {verdict} (MB = 1024² bytes.)
Reproduce: `python benchmarks/model_size.py`.
"""
    print(table)
    update_results("model_size", body)
    metrics = {"files": sizes, "total_bytes": total, "total_mb": mb}
    record("model_size", metrics)
    return metrics


def main() -> None:
    run()


if __name__ == "__main__":
    main()
