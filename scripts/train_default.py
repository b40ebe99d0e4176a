"""Retrain the bundled default model from labels/ and corpus/ and save it to models/default.

Run after any change to the labels, the corpus, the taxonomy or the default design:

    python scripts/train_default.py

It calls the public API only (``policyclf.train`` then ``Model.save``).
"""

from __future__ import annotations

import time

import policyclf
from policyclf.resources import data_path


def main() -> None:
    t0 = time.perf_counter()
    model = policyclf.train(name="default")
    target = data_path("models", "default")
    model.save(target, overwrite=True)
    print(
        f"trained in {model.metadata['fit_seconds']:.1f} s (with its report: "
        f"{time.perf_counter() - t0:.1f} s); saved to {target}"
    )
    print(model.report.summary())


if __name__ == "__main__":
    main()
