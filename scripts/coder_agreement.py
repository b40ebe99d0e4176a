"""Agreement between two codings of the same texts (per-label agreement and Cohen's kappa).

    python scripts/coder_agreement.py labels/second_coder/first_coding_v1.0.0.csv \
        labels/second_coder/paragraphs.csv

Both files: CSV with columns id and labels (ids separated by ";"). Uses policyclf's metrics.
"""

from __future__ import annotations

import csv
import sys

import numpy as np

from policyclf.evaluation import cohen_kappa
from policyclf.taxonomy import load_taxonomy


def read(path: str) -> dict[str, set[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return {r["id"]: {x for x in r["labels"].split(";") if x} for r in csv.DictReader(f)}


def main(a_path: str, b_path: str) -> None:
    a, b = read(a_path), read(b_path)
    if set(a) != set(b):
        sys.exit(f"the files code different ids: {sorted(set(a) ^ set(b))[:10]}")
    ids = sorted(a)
    print(f"| label | agreement (of {len(ids)}) | Cohen's kappa |")
    print("| --- | --- | --- |")
    for k in load_taxonomy().ids:
        x = np.array([k in a[i] for i in ids])
        y = np.array([k in b[i] for i in ids])
        print(f"| {k} | {int((x == y).sum())} | {cohen_kappa(x, y):.2f} |")
    same = sum(a[i] == b[i] for i in ids)
    print(f"\nidentical label sets: {same} of {len(ids)}")
    for i in ids:
        if a[i] != b[i]:
            left = ";".join(sorted(a[i])) or "(none)"
            right = ";".join(sorted(b[i])) or "(none)"
            print(f"  {i}: {left} vs {right}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
