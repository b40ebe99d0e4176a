"""The taxonomy file: loading, validation errors, and the codebook generated from it."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from conftest import add_international

from policyclf import TaxonomyError
from policyclf.resources import data_path
from policyclf.taxonomy import Taxonomy, load_taxonomy, render_codebook

IDS = ("platform", "talent", "finance", "transfer", "governance")


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture()
def raw(raw_taxonomy: dict) -> dict:
    return raw_taxonomy


def write(tmp_path: Path, data: dict, name: str = "tax.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return p


def test_bundled_taxonomy_has_the_five_measure_types(tax: Taxonomy) -> None:
    assert tax.ids == IDS
    assert re.fullmatch(r"\d+\.\d+\.\d+", tax.version)
    for c in tax:
        assert c.name_zh and c.name_en and c.definition
        assert c.include and c.exclude and c.cues and c.subcategories
        assert all(s.id.startswith(c.id + ".") for s in c.subcategories)
    assert tax.no_measure_rule and tax.paragraph_rule


def test_boundary_cases_named_in_the_issue_are_decided(tax: Taxonomy) -> None:
    cases = {b.case: b.labels for b in tax.boundary_cases}
    assert cases["A subsidy or award paid to talent"] == ("talent", "finance")
    assert cases["A technology-trading platform or technology market"] == ("transfer",)
    assert cases["A reform of research-fund management"] == ("governance",)
    assert cases["An award or subsidy to an incubator, laboratory or other platform"] == (
        "platform",
        "finance",
    )


def test_resolve_accepts_ids_and_names(tax: Taxonomy) -> None:
    assert tax.resolve("talent") == "talent"
    assert tax.resolve(" 人才 ") == "talent"
    assert tax.resolve("资金") == "finance"
    assert tax.resolve("金融/资金") == "finance"
    assert tax.resolve("Technology transfer") == "transfer"
    assert tax.resolve("GOVERNANCE") == "governance"
    assert tax.resolve("talnet") is None
    assert tax.resolve("") is None


def test_to_dict_round_trips_and_hash_ignores_formatting(tax: Taxonomy, tmp_path: Path) -> None:
    again = Taxonomy.from_dict(tax.to_dict())
    assert dataclasses.replace(again, source=None) == dataclasses.replace(tax, source=None)
    assert again.sha256 == tax.sha256
    as_json = load_taxonomy(write(tmp_path, tax.to_dict()))
    assert as_json.sha256 == tax.sha256


def test_codebook_file_is_generated_from_the_taxonomy(tax: Taxonomy) -> None:
    on_disk = data_path("labels", "CODEBOOK.md").read_text(encoding="utf-8")
    assert on_disk == render_codebook(tax) + "\n", (
        "labels/CODEBOOK.md is stale: run python -m policyclf.taxonomy --write-codebook"
    )
    assert f"version **{tax.version}**" in on_disk
    for c in tax:
        assert f"## `{c.id}`" in on_disk
        for cue in c.cues:
            assert cue in on_disk


def test_missing_file_error_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match=r"nope\.toml"):
        load_taxonomy(tmp_path / "nope.toml")


def test_bad_toml_error_names_the_file(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text('version = "1.0.0"\n[[category]\n', encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"bad\.toml: not valid TOML"):
        load_taxonomy(p)


def test_validation_lists_every_problem_with_key(raw: dict, tmp_path: Path) -> None:
    raw["version"] = "one"
    raw["category"][1]["id"] = "Talent!"
    del raw["category"][2]["definition"]
    raw["category"][3]["cues"] = "成果转化"
    raw["category"][4]["name_zh"] = raw["category"][0]["name_zh"]
    raw["boundary"][0]["labels"] = ["talent", "money"]
    p = write(tmp_path, raw)
    with pytest.raises(TaxonomyError) as e:
        load_taxonomy(p)
    msg = str(e.value)
    assert str(p) in msg
    assert "version: must look like MAJOR.MINOR.PATCH, got 'one'" in msg
    assert "category[1] (Talent!).id" in msg
    assert "category[2] (finance).definition: missing" in msg
    assert "category[3] (transfer).cues: must be a list of non-empty strings" in msg
    assert "name '平台建设' is used by more than one category" in msg
    assert "boundary[0].labels: unknown category id 'money'" in msg


def test_duplicate_ids_and_bad_subcategory_ids(raw: dict, tmp_path: Path) -> None:
    raw["category"][1]["id"] = "platform"
    raw["category"][0]["subcategories"][0]["id"] = "talent.lab"
    with pytest.raises(TaxonomyError) as e:
        load_taxonomy(write(tmp_path, raw))
    assert "id 'platform' is used by more than one category" in str(e.value)
    assert "'talent.lab' must look like 'platform.<name>'" in str(e.value)


def test_missing_no_measure_rule_and_categories(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError) as e:
        load_taxonomy(write(tmp_path, {"version": "1.0.0", "name": "x", "paragraph_rule": "x"}))
    assert "no_measure: missing table" in str(e.value)
    assert "category: missing" in str(e.value)


def test_a_user_can_add_a_category(raw: dict, tmp_path: Path) -> None:
    add_international(raw, ["国际合作", "离岸"])
    raw["version"] = "2.0.0"
    tax = load_taxonomy(write(tmp_path, raw))
    assert tax.ids == (*IDS, "international")
    assert tax.resolve("国际合作") == "international"
    assert "## `international` — 国际合作" in tax.codebook()
