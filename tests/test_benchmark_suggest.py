"""benchmarks/suggest.py runs end to end on synthetic data and reports honestly (slow)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "suggest.py"


def _module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_suggest", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_suggest"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_learning_curves_on_synthetic_data(tmp_path: Path) -> None:
    bench = _module()
    coded = bench.synthetic(n_docs=12, per_doc=12, seed=1)
    assert {c.split for c in coded} == {"train", "test"}
    out = bench.run(coded, seeds=[0, 1], budgets=[20, 40])
    res = out["results"]
    assert set(res) == {"default", "uncertainty", "random"}
    for per in res.values():
        assert set(per) == {"0", "20", "40"}
        assert all(len(v) == 2 for v in per.values())
    # the random draws differ between seeds; every strategy starts from the same base model
    assert res["random"]["0"] == res["default"]["0"]
    md = bench.write(out, tmp_path, "SUGGEST_test", "synthetic", "python benchmarks/suggest.py")
    text = md.read_text("utf-8")
    assert "| default | 40 |" in text and "seed spread" in text
    data = json.loads((tmp_path / "SUGGEST_test.json").read_text("utf-8"))
    assert data["summary"]["random"]["40"]["n"] == 2
    table = bench.summarize(out)
    lines = bench.verdict(table)
    assert len(lines) == 2 and all("suggest" in x for x in lines)
