"""profile(): tidy table, groups, corrections, intervals, errors, output files, reprs."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import policyclf
from policyclf.analysis.profiling import MISSING_GROUP, TABLE_COLUMNS, Profile


def _profile(model: policyclf.Model, source: object, **kw: object) -> Profile:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return model.profile(source, n_boot=200, **kw)


def test_table_counts_and_raw_shares(model: policyclf.Model, tagged: pd.DataFrame) -> None:
    p = _profile(model, tagged, by="year", adjust=True)
    t = p.table
    assert tuple(t.columns) == TABLE_COLUMNS
    assert p.groups == [2015, 2016, 2017]
    assert len(t) == 3 * len(model.labels)
    ok = tagged[tagged.error == ""]
    for (year, label), row in t.set_index(["group", "label"]).iterrows():
        units = ok[ok.year == year]
        n_lab = int(units["labels"].str.split(";").map(lambda x, k=label: k in x).sum())
        assert row.n_units == len(units) and row.n_labelled == n_lab
        assert row.n_docs == units.doc.nunique()
        assert row.share == pytest.approx(n_lab / len(units))
        assert 0.0 <= row.adjusted_share <= 1.0
        assert row.ci_low <= row.adjusted_share + 1e-12 <= row.ci_high + 2e-12


def test_source_and_tagged_frame_give_the_same_profile(
    model: policyclf.Model, docs: pd.DataFrame, tagged: pd.DataFrame
) -> None:
    a = _profile(model, docs, by="issuer", id_col="doc")
    b = _profile(model, tagged, by="issuer")
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.groups == ["乙市", "甲市"] or a.groups == sorted(["甲市", "乙市"])


def test_profile_is_deterministic_and_seeded(model: policyclf.Model, tagged: pd.DataFrame) -> None:
    a, b = _profile(model, tagged, by="year"), _profile(model, tagged, by="year")
    pd.testing.assert_frame_equal(a.table, b.table)
    c = _profile(model, tagged, by="year", seed=1)
    assert not np.allclose(a.table.ci_low.fillna(-1), c.table.ci_low.fillna(-1)) or not np.allclose(
        a.table.ci_high.fillna(-1), c.table.ci_high.fillna(-1)
    )


def test_adjusted_share_follows_the_acc_formula(
    model: policyclf.Model, tagged: pd.DataFrame
) -> None:
    p = _profile(model, tagged, method="acc")
    assert p.rates is not None and p.method == "acc"
    for _, row in p.table.iterrows():
        tpr, fpr = p.rates.tpr(row.label), p.rates.fpr(row.label)
        expected = min(1.0, max(0.0, (row.share - fpr) / (tpr - fpr)))
        assert row.adjusted_share == pytest.approx(expected)


def test_probability_method_is_the_mean_score(model: policyclf.Model, tagged: pd.DataFrame) -> None:
    p = _profile(model, tagged, adjust=True)
    assert p.method == "probability"  # the default correction
    ok = tagged[tagged.error == ""]
    for _, row in p.table.iterrows():
        assert row.adjusted_share == pytest.approx(ok[f"score_{row.label}"].mean())
    assert p.rates is None


def test_unadjusted_profile_has_intervals_of_the_raw_share(
    model: policyclf.Model, tagged: pd.DataFrame
) -> None:
    p = _profile(model, tagged)  # raw shares by default
    assert not p.adjusted and p.method is None and p.table.adjusted_share.isna().all()
    assert p.value_column == "share"
    assert (p.table.ci_low <= p.table.share + 1e-12).all()


def test_unreadable_documents_are_counted_and_warned_about(
    model: policyclf.Model, tagged: pd.DataFrame
) -> None:
    with pytest.warns(UserWarning, match="2 document"):
        p = model.profile(tagged, n_boot=10)
    assert sorted(p.errors.doc) == ["broken", "empty"]
    assert "2 unreadable" in repr(p)
    assert int(p.table.n_docs.iloc[0]) == 4


def test_year_from_date_and_missing_group(model: policyclf.Model, docs: pd.DataFrame) -> None:
    docs = docs.drop(columns="year").assign(date=["2015-03-01", "2015年5月", "", "2017", None, ""])
    p = _profile(model, docs, by="year", id_col="doc")
    assert p.groups == [2015, 2017, MISSING_GROUP]
    with pytest.raises(KeyError, match="province"):
        _profile(model, docs, by="province")


def test_unit_must_match_a_tagged_frame(model: policyclf.Model, tagged: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="sentence units"):
        model.profile(tagged, unit="paragraph")
    with pytest.raises(ValueError, match="method"):
        model.profile(tagged, method="magic")
    with pytest.raises(ValueError, match="level"):
        model.profile(tagged, level=95)


def test_csv_and_excel_round_trip(
    model: policyclf.Model, tagged: pd.DataFrame, tmp_path: Path
) -> None:
    p = _profile(model, tagged, by="issuer")
    p.to_csv(tmp_path / "p.csv")
    assert (tmp_path / "p.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(tmp_path / "p.csv", encoding="utf-8-sig")
    assert list(back.columns) == list(TABLE_COLUMNS)
    assert back.share.tolist() == pytest.approx(p.table.share.tolist())
    assert set(back.group) == {"甲市", "乙市"}
    p.to_excel(tmp_path / "p.xlsx")
    x = pd.read_excel(tmp_path / "p.xlsx", sheet_name=None)
    assert set(x) == {"profile", "errors"} and len(x["profile"]) == len(p.table)
    assert sorted(p.errors.doc) == sorted(x["errors"].doc)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["p.csv", "p.xlsx"]  # no temp files
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "p.csv").stat().st_mode & 0o777 == 0o666 & ~umask  # not private


def test_a_failed_write_leaves_no_partial_file(
    model: policyclf.Model, tagged: pd.DataFrame, tmp_path: Path
) -> None:
    p = _profile(model, tagged)
    with pytest.raises(OSError):
        p.to_csv(tmp_path / "missing-folder" / "p.csv")
    assert list(tmp_path.iterdir()) == []


def test_short_reprs(model: policyclf.Model, tagged: pd.DataFrame) -> None:
    p = _profile(model, tagged, by="doc")
    assert len(repr(p)) < 200
    html = p._repr_html_()
    assert "<table" in html and len(html) < 20_000
    assert "…" not in html  # four groups: all shown
    big = pd.concat([tagged, tagged], ignore_index=True)
    big["doc"] = [f"d{i:02d}" for i in range(len(big))]
    html = _profile(model, big, by="doc")._repr_html_()
    assert p.groups and html.count("<tr>") <= 14 and "…" in html


def test_wide_view(model: policyclf.Model, tagged: pd.DataFrame) -> None:
    p = _profile(model, tagged, by="year")
    w = p.wide("share")
    assert list(w.columns) == list(model.labels) and list(w.index) == [2015, 2016, 2017]
    with pytest.raises(KeyError):
        p.wide("nope")


def test_error_rates_from_an_evaluation_of_a_coded_sample(
    model: policyclf.Model, tagged: pd.DataFrame, tmp_path: Path
) -> None:
    from policyclf.analysis.rates import ErrorRates

    from .conftest import SENTENCES

    coded = tmp_path / "coded.csv"
    rows = ["text,labels"] + [f"{SENTENCES[k]},{'' if k == 'none' else k}" for k in SENTENCES]
    coded.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = policyclf.evaluate(model, coded)
    p = _profile(model, tagged, rates=report)
    assert p.rates is not None and p.rates.source == "given metrics"
    given = ErrorRates({k: {"tp": 9, "fn": 1, "fp": 0, "tn": 10} for k in model.labels}, "mine")
    q = _profile(model, tagged, rates=given)
    for _, row in q.table.iterrows():
        assert row.adjusted_share == pytest.approx(min(1.0, row.share / 0.9))
    with pytest.raises(ValueError, match="lack"):
        _profile(model, tagged, rates=ErrorRates({}, "empty"))
    with pytest.raises(ValueError, match="method='acc'"):
        _profile(model, tagged, rates=given, method="probability")


def test_year_from_a_release_date_column_and_a_warning_when_no_year(
    model: policyclf.Model, docs: pd.DataFrame
) -> None:
    released = ["2013-08-21", "2014-01-02", "2014-12-31", "2016-05-05", None, ""]
    p = _profile(
        model, docs.drop(columns="year").assign(released=released), by="year", id_col="doc"
    )
    assert p.groups == [2013, 2014, 2016]  # c (2014) read; broken/empty are errors
    nodate = docs.drop(columns="year").assign(released="")
    with pytest.warns(UserWarning) as caught:
        q = model.profile(nodate, by="year", id_col="doc", n_boot=10)
    assert any("no document has a value for 'year'" in str(w.message) for w in caught)
    assert q.groups == [MISSING_GROUP]
    tagged = model.tag_corpus(docs, id_col="doc").drop(columns=["year", "date"])
    with pytest.raises(KeyError, match="no column 'year', nor a date column"):
        _profile(model, tagged, by="year")
