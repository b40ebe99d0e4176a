"""Retraining with added rows, user taxonomies, reports, and evaluate()."""

from __future__ import annotations

import csv
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import add_international

import policyclf
from policyclf import LabelFileError, TaxonomyError, training
from policyclf.estimator import UngroupedFoldsWarning
from policyclf.evaluation import Report, cohen_kappa, label_metrics
from policyclf.labelfiles import LabelledRow
from policyclf.taxonomy import load_taxonomy
from policyclf.training import _rows_hash, base_rows, cross_validate, cv_groups, text_key

ADDED = [
    ("对新落户的博士后给予每人每年5万元生活补助。", "talent;finance", "doc1"),
    ("支持县域企业设立博士后科研工作站。", "platform;talent", "doc1"),
    ("建立人才服务专员制度，为人才提供子女入学服务。", "talent", "doc1"),
    ("全县共有各类人才三千余名。", "", "doc1"),
    ("发放科技创新券，用于购买检验检测服务。", "finance", "doc2"),
    ("对企业购买技术成果的，按技术合同成交额给予补助。", "transfer;finance", "doc2"),
    ("建设县域科技大市场，开展技术拍卖。", "transfer", "doc2"),
    ("本通知自印发之日起施行。", "", "doc2"),
    ("建立科技工作督查通报制度。", "governance", "doc3"),
    ("组建县科技创新工作领导小组，县长任组长。", "governance", "doc3"),
    ("依托工业园区建设小微企业创业孵化基地。", "platform", "doc3"),
    ("各乡镇、各部门要高度重视，切实抓好落实。", "", "doc3"),
]


def write_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "labels", "group"])
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def extra_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(tmp_path_factory.mktemp("data") / "county.csv", ADDED)


@pytest.fixture(scope="module")
def retrained(extra_csv: Path) -> policyclf.Model:
    return policyclf.train(extra=extra_csv, name="county")


def test_retrain_merges_base_and_added_rows(retrained: policyclf.Model, extra_csv: Path) -> None:
    data = retrained.report["data"]
    sources = {s["source"]: s["rows"] for s in data["sources"]}
    assert sources[str(extra_csv)] == len(ADDED)
    assert sources["labels/sentences.csv"] == 176
    assert sources["labels/paragraphs.csv"] == 41
    assert data["rows"] == len(base_rows()) + len(ADDED)
    assert retrained.metadata["added_rows"] == len(ADDED)
    assert retrained.metadata["name"] == "county"
    assert retrained.metadata["taxonomy_version"] == retrained.taxonomy.version


def test_report_compares_with_and_without_added_rows(retrained: policyclf.Model) -> None:
    rep = retrained.report
    assert isinstance(rep, Report)
    comp = rep["comparison"]
    assert set(comp["labels"]) == set(retrained.labels)
    for v in comp["labels"].values():
        assert 0 <= v["before"] <= 1 and 0 <= v["after"] <= 1
        assert v["change"] == pytest.approx(v["after"] - v["before"])
    assert set(comp["helped"]) | set(comp["hurt"]) <= set(retrained.labels)
    assert comp["added_rows_only"]["after"]["n"] == len(ADDED)
    subsets = rep["cv"]["subsets"]
    assert subsets["added rows"]["n"] == len(ADDED)
    for m in subsets.values():
        for k in retrained.labels:
            assert {"precision", "recall", "f1", "support", "kappa"} <= set(m["labels"][k])
    md = rep.to_markdown()
    assert "Did the added data help?" in md and "Grouped cross-validation" in md


def test_save_load_round_trip_keeps_report_and_predictions(
    retrained: policyclf.Model, tmp_path: Path
) -> None:
    out = retrained.save(tmp_path / "models" / "county")
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# policyclf training report")
    json.loads((out / "report.json").read_text(encoding="utf-8"))
    again = policyclf.load(out)
    texts = [t for t, _, _ in ADDED]
    assert again.tag_many(texts) == retrained.tag_many(texts)
    assert again.metadata == retrained.metadata
    assert again.report["comparison"] == json.loads(json.dumps(retrained.report["comparison"]))
    with pytest.raises(policyclf.ModelExistsError):
        retrained.save(out)
    retrained.save(out, overwrite=True)


def test_evaluate_on_a_holdout_file(retrained: policyclf.Model, tmp_path: Path) -> None:
    hold = write_csv(
        tmp_path / "hold.csv",
        [("对引进的硕士研究生给予租房补贴。", "talent;finance", "h"), ("全县GDP增长6%。", "", "h")],
    )
    rep = policyclf.evaluate(retrained, hold)
    assert rep["metrics"]["n"] == 2
    assert rep["metrics"]["labels"]["talent"]["support"] == 1
    assert "micro F1" in rep.summary()
    js, md = rep.save(tmp_path / "eval")
    assert js.exists() and md.read_text(encoding="utf-8").startswith("# policyclf evaluation")


def test_broken_file_raises_one_error_and_trains_nothing(tmp_path: Path) -> None:
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            ("一段正常的政策文本。", "talnet", "g"),
            ("", "talent", "g"),
            ("重复的行。", "finance", "g"),
            ("重复的行。", "finance", "g"),
        ],
    )
    before = bad.read_bytes(), os.stat(bad).st_mtime_ns
    target = tmp_path / "model"
    with pytest.raises(LabelFileError) as e:
        policyclf.train(extra=bad).save(target)
    msg = str(e.value)
    assert "bad.csv: row 2" in msg and "talnet" in msg and "talent" in msg  # suggestion
    assert "row 3" in msg and "row 5" in msg
    assert len(e.value.problems) >= 3
    assert (bad.read_bytes(), os.stat(bad).st_mtime_ns) == before
    assert not target.exists()


def test_conflict_with_the_bundled_corpus_is_reported(tmp_path: Path) -> None:
    text = next(r.text for r in base_rows() if r.source == "labels/sentences.csv" and r.labels)
    bad = write_csv(tmp_path / "conflict.csv", [(text, "", "g"), ("另一句话。", "", "g")])
    with pytest.raises(LabelFileError, match="conflict"):
        policyclf.train(extra=bad)


def test_user_taxonomy_with_an_added_category(tmp_path: Path, raw_taxonomy: dict) -> None:
    raw = add_international(raw_taxonomy, ["国际合作", "离岸", "海外"])
    tax_path = tmp_path / "tax.json"
    tax_path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    rows = [
        ("与以色列共建国际合作园区。", "国际合作;platform", "d1"),
        ("鼓励企业在海外设立研发中心。", "international;platform", "d1"),
        ("举办国际技术转移对接会。", "international;transfer", "d2"),
        ("设立海外人才工作站。", "international;talent", "d2"),
        ("对引进人才给予补贴。", "talent;finance", "d3"),
        ("成立领导小组。", "governance", "d3"),
        ("本办法由科技局负责解释。", "", "d4"),
        ("设立产业基金。", "finance", "d4"),
    ]
    m = policyclf.train(
        extra=write_csv(tmp_path / "intl.csv", rows), base=False, taxonomy=tax_path, evaluate=False
    )
    assert m.labels[-1] == "international"
    assert "international" in m.tag("与德国共建国际合作创新园。").scores
    again = policyclf.load(m.save(tmp_path / "intl-model"))
    assert again.taxonomy.ids == m.taxonomy.ids


def test_user_taxonomy_that_drops_a_bundled_id_needs_base_false(
    tmp_path: Path, raw_taxonomy: dict
) -> None:
    raw = raw_taxonomy
    raw["category"] = raw["category"][:4]
    raw["boundary"] = [b for b in raw["boundary"] if "governance" not in b["labels"]]
    p = tmp_path / "four.json"
    p.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(TaxonomyError, match="governance"):
        policyclf.train(taxonomy=p, evaluate=False)


def test_label_metrics_and_kappa() -> None:
    import numpy as np

    Y = np.array([[1, 0], [1, 1], [0, 0], [0, 1]])
    P = np.array([[1, 0], [0, 1], [0, 0], [1, 1]])
    m = label_metrics(Y, P, ["a", "b"])
    assert m["labels"]["a"] == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2, "kappa": 0.0}
    )
    assert m["labels"]["b"]["f1"] == 1.0 and m["labels"]["b"]["kappa"] == 1.0
    assert m["micro_f1"] == pytest.approx(0.75)
    assert m["no_measure"]["support"] == 1 and m["no_measure"]["f1"] == 1.0
    assert cohen_kappa(np.array([1, 1, 0, 0]), np.array([0, 0, 1, 1])) == pytest.approx(-1.0)


def test_the_shipped_model_was_trained_on_the_current_data() -> None:
    m = policyclf.load()
    assert m.metadata["data_sha256"] == _rows_hash(base_rows()), (
        "labels or corpus changed since models/default was trained: "
        "run `python scripts/train_default.py`"
    )
    assert m.metadata["taxonomy_sha256"] == policyclf.load_taxonomy().sha256


# --------------------------------------------------------------------- leakage via duplicates


def row(text: str, labels: tuple[str, ...], group: str) -> LabelledRow:
    return LabelledRow(text, labels, None, group, "user.csv", 2)


def test_equal_texts_share_the_group_of_their_first_row() -> None:
    rows = [
        row("对博士给予安家补贴。", ("talent",), "a"),
        row("对 博士 给予安家补贴!", ("talent",), "b"),  # equal apart from spaces/punctuation
        row("對博士給予安家補貼", ("talent",), "c"),  # traditional characters
        row("设立产业基金。", ("finance",), "c"),
    ]
    groups = cv_groups(rows)
    assert groups[0] == groups[1] == groups[2] == "user.csv:a"
    assert groups[3] == "user.csv:c"
    assert text_key(rows[0].text) == text_key(rows[1].text) != text_key(rows[3].text)


def test_cross_validate_never_puts_a_text_on_both_sides(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [t for t, _, _ in ADDED]
    labels = [tuple(x for x in lab.split(";") if x) for _, lab, _ in ADDED]
    rows = [row(t, lab, f"g{i}") for i, (t, lab) in enumerate(zip(texts, labels, strict=True))]
    # each text again, in one other group, with other punctuation/spacing
    rows += [
        row(" " + t.rstrip("。") + "！", lab, "copies")
        for t, lab in zip(texts, labels, strict=True)
    ]
    seen: list[list[tuple[np.ndarray, np.ndarray]]] = []
    real = training.fold_splits

    def spy(*args: object, **kwargs: object) -> object:
        out = real(*args, **kwargs)  # type: ignore[arg-type]
        seen.append(out[0])
        return out

    monkeypatch.setattr(training, "fold_splits", spy)
    rep = cross_validate(rows, load_taxonomy(), n_folds=4)
    assert rep["cv"]["grouped"] is True
    outer = seen[0]
    assert len(outer) == 4
    keys = [text_key(r.text) for r in rows]
    for tr, te in outer:
        assert not {keys[i] for i in te} & {keys[i] for i in tr}


def test_repeats_of_bundled_rows_are_dropped_and_do_not_help(tmp_path: Path) -> None:
    bundled = [r for r in base_rows() if r.source == "labels/sentences.csv"][:10]
    repeats = [(r.text, ";".join(r.labels), "copy") for r in bundled]
    f = write_csv(tmp_path / "repeats.csv", repeats)
    with pytest.warns(UserWarning, match="repeat a bundled row"):
        m = policyclf.train(extra=f, evaluate=False)
    assert m.report["data"]["dropped_repeats"] == 10
    assert m.report["data"]["rows"] == len(base_rows())
    assert m.metadata["added_rows"] == 0
    assert "Dropped 10 added row(s)" in m.report.to_markdown()


def test_repeats_left_in_do_not_make_every_label_helped() -> None:
    # 10 bundled sentences (2 per label) repeated in one "copy" group: before the copies shared
    # their originals' groups, they sat in training while the originals were tested, and every
    # label looked "helped"
    base, ids = base_rows(), load_taxonomy().ids
    picked = [
        r
        for k in ids
        for r in [r for r in base if r.source == "labels/sentences.csv" and r.labels == (k,)][:2]
    ]
    repeats = [
        LabelledRow(r.text, r.labels, None, "copy", "repeats.csv", i + 2)
        for i, r in enumerate(picked)
    ]
    assert len(repeats) == 10
    rep = cross_validate(
        base + repeats, load_taxonomy(), compare_without=[False] * len(base) + [True] * 10
    )
    comp = rep["comparison"]
    assert set(comp["helped"]) != set(ids), comp["labels"]


# --------------------------------------------------------------------- a single group


def test_a_single_group_is_reported_as_random_folds(tmp_path: Path) -> None:
    f = tmp_path / "nogroup.csv"
    with f.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "labels"])
        w.writerows((t, lab) for t, lab, _ in ADDED)
    with pytest.warns(UngroupedFoldsWarning, match="one group") as record:
        m = policyclf.train(extra=f, base=False, n_folds=3)
    assert len([w for w in record if w.category is UngroupedFoldsWarning]) == 1
    cv = m.report["cv"]
    assert cv["grouped"] is False
    assert cv["grouped_by"].startswith("random K-fold: only one group (add a group column")
    md = m.report.to_markdown()
    assert "not grouped" in md and "random K-fold" in md
    assert "no group appears on both sides" not in md


def test_grouped_training_does_not_warn(retrained: policyclf.Model) -> None:
    assert retrained.report["cv"]["grouped"] is True
    assert "no group appears on both sides" in retrained.report.to_markdown()


# --------------------------------------------------------------------- custom taxonomy + base


def test_base_rows_of_the_bundled_taxonomy_are_unchanged(tmp_path: Path) -> None:
    copy = tmp_path / "taxonomy.toml"
    copy.write_bytes(policyclf.resources.data_path("labels", "taxonomy.toml").read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = base_rows(load_taxonomy(copy))
    assert _rows_hash(same) == _rows_hash(base_rows())
    assert [(r.text, r.labels) for r in same] == [(r.text, r.labels) for r in base_rows()]


def test_base_rows_use_the_examples_of_the_taxonomy_passed_in(
    tmp_path: Path, raw_taxonomy: dict
) -> None:
    raw = add_international(raw_taxonomy, ["国际合作", "海外"])
    raw["category"][-1]["examples"] = ["与以色列共建国际联合实验室。", "支持企业设立海外研发中心。"]
    raw["no_measure"]["examples"] = [*raw["no_measure"]["examples"], "本市位于长江三角洲。"]
    p = tmp_path / "tax.json"
    p.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    with pytest.warns(UserWarning, match="count as 'no international'"):
        rows = base_rows(load_taxonomy(p))
    codebook = {r.text: r.labels for r in rows if r.source == "labels/taxonomy.toml"}
    assert codebook["与以色列共建国际联合实验室。"] == ("international",)
    assert codebook["支持企业设立海外研发中心。"] == ("international",)
    assert codebook["本市位于长江三角洲。"] == ()
