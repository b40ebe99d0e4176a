"""Tests for policyclf.active: suggest() and its parts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import policyclf
from policyclf.active import (
    candidates,
    exclusion_keys,
    label_priorities,
    training_keys,
    uncertainty,
)
from policyclf.labelfiles import text_key
from policyclf.training import base_rows

DOCS = Path(__file__).parent / "data" / "documents"

# invented policy-like sentences (none copied from any real document)
TEXTS = [
    "对新引进的全职博士给予每人15万元安家补贴，并优先安排人才公寓。",
    "支持龙头企业牵头组建省级技术创新中心，按建设投入给予最高500万元补助。",
    "设立科技成果转化引导基金，对在本市转化的项目给予贷款贴息。",
    "建立技术经纪人培训和职称评价制度，培育专业化技术转移机构。",
    "成立由市长任组长的科技创新工作领导小组，统筹全市科技改革。",
    "2022年全市高新技术企业数量达到1500家，同比增长百分之十二。",
    "推行科研项目经费包干制，赋予科研人员更大技术路线决定权。",
    "鼓励高校院所与企业共建联合实验室和中试基地，促进产学研合作。",
    "对首次认定的国家级孵化器给予一次性奖励200万元。",
    "开展高层次人才分类评价改革，破除唯论文唯职称倾向。",
    "县级财政每年安排不少于3000万元用于支持企业研发投入后补助。",
    "优化科技政策兑现服务，实行网上申报一网通办。",
    "全年举办各类创新创业大赛十余场，参赛项目达到三百余个。",
    "支持企业以知识产权质押融资，对贴息和担保费用给予补贴。",
    "建设区域性技术交易市场，定期发布企业技术需求和科研成果清单。",
    "引导社会资本设立天使投资基金，重点投向初创期科技企业。",
]


@pytest.fixture(scope="module")
def model() -> policyclf.Model:
    return policyclf.load()


def test_uncertainty_is_one_at_the_threshold_and_zero_at_the_ends() -> None:
    t = np.array([0.2, 0.5, 0.8])
    P = np.array([[0.2, 0.5, 0.8], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.1, 0.25, 0.4]])
    U = uncertainty(P, t)
    assert U[0].tolist() == [1.0, 1.0, 1.0]
    assert U[1].tolist() == [0.0, 0.0, 0.0]
    assert U[2].tolist() == [0.0, 0.0, 0.0]
    # halfway between 0 and the threshold is equally uncertain whatever the threshold
    assert np.allclose(U[3], [0.5, 0.5, 0.5])


def test_label_priorities_follow_the_report(model: policyclf.Model) -> None:
    prio = label_priorities(model)
    per = model.report["cv"]["subsets"]["all"]["labels"]
    top = max(v["support"] for v in per.values())
    for k in model.labels:
        assert prio[k]["weakness"] == pytest.approx(1 - per[k]["f1"])
        assert prio[k]["rarity"] == pytest.approx(1 - per[k]["support"] / top)
        assert prio[k]["weight"] == pytest.approx(1 + prio[k]["weakness"] + prio[k]["rarity"])
    rarest = min(per, key=lambda k: per[k]["support"])
    assert prio[rarest]["rarity"] == max(p["rarity"] for p in prio.values())


def test_label_priorities_without_a_report_are_equal(model: policyclf.Model) -> None:
    bare = policyclf.Model(
        model.featurizer,
        model.coef,
        model.intercept,
        model.calibration,
        model.thresholds,
        model.taxonomy,
    )
    assert {p["weight"] for p in label_priorities(bare).values()} == {1.0}


def test_suggest_returns_the_models_labels_scores_and_a_reason(model: policyclf.Model) -> None:
    s = model.suggest(TEXTS, n=6)
    assert len(s) == 6
    assert list(s.columns[:6]) == ["id", "text", "doc", "reason", "priority", "labels"]
    assert [c for c in s.columns if c.startswith("score_")] == [f"score_{k}" for k in model.labels]
    names = "|".join(model.labels)
    for _, row in s.iterrows():
        assert re.fullmatch(rf"({names}) near threshold|rare: ({names})", row["reason"])
        tag = model.tag(row["text"])
        assert row["labels"] == ";".join(tag.labels)
        for k in model.labels:
            assert row[f"score_{k}"] == pytest.approx(tag.scores[k])
        assert TEXTS[int(row["id"][1:])] == row["text"]
    assert s["priority"].is_unique or len(set(s["id"])) == len(s)
    assert s.attrs["candidates"] == len(TEXTS)


def test_suggest_is_deterministic_given_the_seed(model: policyclf.Model) -> None:
    for strategy in ("default", "uncertainty", "random"):
        a = model.suggest(TEXTS, n=8, strategy=strategy, seed=3)
        b = model.suggest(TEXTS, n=8, strategy=strategy, seed=3)
        pd.testing.assert_frame_equal(a, b)
    draws = {tuple(model.suggest(TEXTS, n=5, strategy="random", seed=s)["id"]) for s in range(6)}
    assert len(draws) > 1


def test_uncertainty_strategy_ranks_by_closeness_to_a_threshold(model: policyclf.Model) -> None:
    s = model.suggest(TEXTS, n=len(TEXTS), strategy="uncertainty", min_chars=1)
    P = s[[f"score_{k}" for k in model.labels]].to_numpy()
    expected = uncertainty(P, model.thresholds).max(axis=1)
    assert np.allclose(s["priority"], expected, atol=1e-4)
    assert list(s["priority"]) == sorted(s["priority"], reverse=True)


def test_default_strategy_prefers_weak_and_rare_labels(model: policyclf.Model) -> None:
    """Its priority is the largest of weighted uncertainty and rare-label likelihood."""
    s = model.suggest(TEXTS, n=len(TEXTS), min_chars=1)
    prio = label_priorities(model)
    w = np.array([prio[k]["weight"] for k in model.labels])
    r = np.array([prio[k]["rarity"] for k in model.labels])
    P = s[[f"score_{k}" for k in model.labels]].to_numpy()
    U = uncertainty(P, model.thresholds)
    value = np.maximum((U * w).max(axis=1), (r * np.minimum(1, P / model.thresholds)).max(axis=1))
    assert np.allclose(s["priority"], value, atol=1e-4)
    assert s.iloc[0]["priority"] == pytest.approx(value.max(), abs=1e-4)


def test_near_duplicates_are_suggested_once(model: policyclf.Model) -> None:
    base = "支持企业建设省级重点实验室，对通过认定的给予一次性奖励100万元。"
    variants = [
        base,
        "支持企业建设省级重点实验室，对通过认定的给予一次性奖励100万元！",  # same text key
        "支持企业建设省级重点实验室，对通过认定的给予一次性奖励150万元。",  # near duplicate
    ]
    s = model.suggest(variants + TEXTS, n=len(TEXTS) + 3, min_chars=1)
    assert sum(t in variants for t in s["text"]) == 1
    assert s.attrs["repeats"] == 1
    assert s.attrs["near_duplicates"] >= 1
    # the uncertainty baseline keeps near-duplicates (only equal text keys are merged)
    u = model.suggest(variants + TEXTS, n=len(TEXTS) + 3, strategy="uncertainty", min_chars=1)
    assert sum(t in variants for t in u["text"]) == 2


def test_training_texts_are_excluded(model: policyclf.Model) -> None:
    bundled = [r.text for r in base_rows()[:30]]
    # the same texts with other punctuation/width still count as already labelled
    disguised = [t.rstrip("。") + "！" for t in bundled]
    s = model.suggest(disguised + TEXTS, n=100)
    assert not set(s["text"]) & set(disguised)
    assert s.attrs["excluded"] >= len({text_key(t) for t in bundled})
    kept = model.suggest(disguised, n=100, exclude_training=False)
    assert len(kept) > 0
    assert training_keys() >= {text_key(t) for t in bundled}


def test_exclude_texts_and_files(model: policyclf.Model, tmp_path: Path) -> None:
    s = model.suggest(TEXTS, n=len(TEXTS), exclude=TEXTS[:4], min_chars=1)
    assert not set(s["text"]) & set(TEXTS[:4])
    csv = tmp_path / "coded.csv"
    pd.DataFrame({"text": TEXTS[4:8], "labels": ""}).to_csv(csv, index=False)
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps([{"data": {"text": TEXTS[8]}}], ensure_ascii=False), "utf-8")
    s = model.suggest(TEXTS, n=len(TEXTS), exclude=[csv, tasks], min_chars=1)
    assert not set(s["text"]) & set(TEXTS[4:9])
    assert len(s) == len(TEXTS) - 5
    s = model.suggest(TEXTS, n=len(TEXTS), exclude=str(csv), min_chars=1)
    assert len(s) == len(TEXTS) - 4
    assert exclusion_keys(None) == set()
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        exclusion_keys(str(tmp_path / "nope.csv"))
    with pytest.raises(TypeError, match="int"):
        exclusion_keys([1])


def test_documents_are_read_as_sentences_spread_over_documents(model: policyclf.Model) -> None:
    s = model.suggest(DOCS, n=10)
    assert len(s) == 10
    assert s["doc"].nunique() >= 4  # five fixture documents, ten picks
    for _, row in s.iterrows():
        raw = (DOCS / row["doc"]).read_bytes()
        assert row["id"].startswith(row["doc"] + "#")
        assert isinstance(row["start"], int) and row["end"] > row["start"]
        assert "\n" not in row["text"]
        del raw
    same = model.suggest([DOCS], n=10)
    pd.testing.assert_frame_equal(s, same)


def test_dataframe_and_series_sources(model: policyclf.Model) -> None:
    df = pd.DataFrame(
        {"编号": [f"r{i}" for i in range(len(TEXTS))], "内容": TEXTS, "document": "d1"}
    )
    df.loc[0, "内容"] = None  # rows without text are skipped
    c = candidates(df)
    assert c.ids[0] == "r1" and c.docs == ["d1"] * (len(TEXTS) - 1)
    s = model.suggest(df, n=3)
    assert set(s["doc"]) == {"d1"} and all(i.startswith("r") for i in s["id"])
    series = pd.Series(TEXTS, index=[f"s{i}" for i in range(len(TEXTS))])
    assert model.suggest(series, n=3)["id"].str.startswith("s").all()


def test_bad_input_is_refused_with_a_clear_message(model: policyclf.Model) -> None:
    with pytest.raises(ValueError, match="unknown strategy 'best'"):
        model.suggest(TEXTS, strategy="best")
    with pytest.raises(ValueError, match="positive integer"):
        model.suggest(TEXTS, n=0)
    with pytest.raises(TypeError, match="names none; pass texts as a list"):
        model.suggest("对引进人才给予补贴。")
    with pytest.raises(TypeError, match="item 1 is int"):
        model.suggest(["对引进人才给予补贴。", 3])
    with pytest.raises(ValueError, match="no text column"):
        model.suggest(pd.DataFrame({"body": TEXTS}))
    with pytest.raises(TypeError, match="got int"):
        model.suggest(5)


def test_nothing_eligible_gives_an_empty_frame(model: policyclf.Model) -> None:
    s = model.suggest(["2020", "abc", "短句"], n=5)
    assert len(s) == 0
    assert "score_talent" in s.columns
    assert s.attrs["too_short"] == 3


def test_table_file_sources_are_read_as_documents(model: policyclf.Model, tmp_path: Path) -> None:
    table = tmp_path / "rows.csv"
    pd.DataFrame(
        {"text": TEXTS, "document": [f"notice-{i % 3}" for i in range(len(TEXTS))]}
    ).to_csv(table, index=False)
    s = model.suggest(table, n=6)
    assert set(s["doc"]) <= {"notice-0", "notice-1", "notice-2"} and s["doc"].nunique() == 3
    assert set(s["text"]) <= set(TEXTS)
    globbed = model.suggest(str(DOCS / "*.txt"), n=6)
    assert len(globbed) == 6 and globbed["doc"].str.endswith(".txt").all()
