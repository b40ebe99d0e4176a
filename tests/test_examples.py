"""The example files the README walks through stay valid (and the broken one stays broken)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyclf import LabelFileError, read_labelled
from policyclf.training import base_rows

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("name", ["zhejiang_extra.csv", "zhejiang_holdout.csv"])
def test_example_files_read_cleanly_against_the_bundled_data(name: str) -> None:
    rows = read_labelled(EXAMPLES / name, against=base_rows())
    assert len(rows) >= 40
    assert any(r.labels for r in rows) and any(not r.labels for r in rows)
    assert len({r.group for r in rows}) >= 2


def test_broken_example_lists_every_problem_in_one_error() -> None:
    with pytest.raises(LabelFileError) as e:
        read_labelled(EXAMPLES / "broken_labels.csv", against=base_rows())
    assert len(e.value.problems) == 8
    assert all("broken_labels.csv: row " in p for p in e.value.problems)
