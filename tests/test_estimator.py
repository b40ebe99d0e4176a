"""PolicyClassifier follows scikit-learn's estimator contract and learns something real."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from policyclf import PolicyClassifier
from policyclf.estimator import (
    THRESHOLD_GRID,
    UngroupedFoldsWarning,
    _best_threshold,
    _platt,
    binarize,
    fold_splits,
    folds,
)
from policyclf.taxonomy import load_taxonomy
from policyclf.training import DEFAULT_PARAMS

IDS = load_taxonomy().ids

TEXTS = [
    "对新引进的博士给予安家补贴。",
    "引进高层次人才团队，提供人才公寓。",
    "设立产业引导基金，撬动社会资本。",
    "对科技型企业贷款给予贴息支持。",
    "建设省级重点实验室和新型研发机构。",
    "布局建设一批孵化器和众创空间。",
    "建设技术交易市场，培育技术经纪人。",
    "推动产学研合作，促进科技成果转化。",
    "成立科技创新委员会，建立联席会议制度。",
    "开展绩效考核和督查，深化科技体制改革。",
    "全市研发投入强度达到百分之三。",
    "高新技术企业数量位居全省前列。",
]
Y = [
    ("talent", "finance"),
    ("talent",),
    ("finance",),
    ("finance",),
    ("platform",),
    ("platform",),
    ("transfer",),
    ("transfer",),
    ("governance",),
    ("governance",),
    (),
    (),
]
GROUPS = ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e", "f", "f"]


@pytest.fixture(scope="module")
def fitted() -> PolicyClassifier:
    return PolicyClassifier(cv=3).fit(TEXTS, Y, groups=GROUPS)


def test_init_stores_parameters_only() -> None:
    est = PolicyClassifier(C=3.0, use_cues=False)
    assert est.get_params()["C"] == 3.0
    assert est.get_params()["use_cues"] is False
    assert not [k for k in vars(est) if k.endswith("_")]


def test_fit_returns_self_and_sets_learned_attributes(fitted: PolicyClassifier) -> None:
    assert isinstance(fitted, PolicyClassifier)
    assert list(fitted.classes_) == list(IDS)
    assert fitted.coef_.shape == (fitted.featurizer_.n_features, len(IDS))
    assert fitted.thresholds_.shape == (len(IDS),)
    assert set(fitted.thresholds_.tolist()) <= set(THRESHOLD_GRID.tolist())
    assert (fitted.calibration_[:, 0] > 0).all()


def test_clone_gives_an_unfitted_copy_with_the_same_params(fitted: PolicyClassifier) -> None:
    c = clone(fitted)
    assert c.get_params() == fitted.get_params()
    assert not hasattr(c, "coef_")
    with pytest.raises(NotFittedError):
        c.predict(["文本"])


def test_predict_shapes_and_label_tuples(fitted: PolicyClassifier) -> None:
    new = ["引进高层次人才和博士团队。", "组建技术转移中心。"]
    proba = fitted.predict_proba(new)
    assert proba.shape == (2, len(IDS))
    assert ((proba >= 0) & (proba <= 1)).all()
    pred = fitted.predict(new)
    assert pred.shape == (2, len(IDS))
    assert set(np.unique(pred)) <= {0, 1}
    labels = fitted.predict_labels(new)
    assert all(lab in IDS for row in labels for lab in row)
    assert [tuple(np.array(IDS)[row.astype(bool)]) for row in pred] == labels


def test_learns_from_training_texts(fitted: PolicyClassifier) -> None:
    assert fitted.score(TEXTS, Y) > 0.8


def test_works_inside_a_pipeline() -> None:
    strip = FunctionTransformer(lambda xs: [x.strip() for x in xs])
    pipe = Pipeline([("strip", strip), ("clf", PolicyClassifier(cv=2))])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UngroupedFoldsWarning)
        pipe.fit([" " + t for t in TEXTS], Y, clf__groups=GROUPS)
    assert pipe.predict(["  建设重点实验室。"]).shape == (1, len(IDS))


def test_defaults_are_the_shipped_design() -> None:
    params = PolicyClassifier().get_params()
    assert {k: params[k] for k in DEFAULT_PARAMS} == DEFAULT_PARAMS


def test_to_model_tags_like_predict(fitted: PolicyClassifier) -> None:
    model = fitted.to_model()
    texts = [*TEXTS, "对引进的院士给予一次性奖励。", "", "   ", "hello world"]
    assert [t.labels for t in model.tag_many(texts)] == fitted.predict_labels(texts)
    np.testing.assert_allclose(
        [[t.scores[k] for k in IDS] for t in model.tag_many(texts)], fitted.predict_proba(texts)
    )


def test_texts_without_chinese_get_no_label_and_the_lowest_score(
    fitted: PolicyClassifier,
) -> None:
    texts = ["", "   ", "hello world", "建设重点实验室。"]
    assert (fitted.predict_proba(texts)[:3] == 0.0).all()
    assert (fitted.predict(texts)[:3] == 0).all()
    dec = fitted.decision_function(texts)
    assert np.isfinite(dec).all()  # scikit-learn metrics reject inf
    assert (dec[:3] < dec[3].min()).all()


def test_bad_input_is_rejected_clearly() -> None:
    with pytest.raises(TypeError, match="single str"):
        PolicyClassifier().fit("一段文本", [()])
    with pytest.raises(TypeError, match=r"X\[1\]: expected a str, got int"):
        PolicyClassifier().fit(["a", 3], [(), ()])
    with pytest.raises(ValueError, match="unknown label 'money'"):
        PolicyClassifier().fit(["a", "b"], [("money",), ()])
    with pytest.raises(ValueError, match="2 texts but y has 1 rows"):
        PolicyClassifier().fit(["a", "b"], [()])


def test_binarize_accepts_tuples_strings_and_arrays() -> None:
    a = binarize([("talent", "finance"), "platform;governance", []], IDS)
    assert a.tolist() == [[0, 1, 1, 0, 0], [1, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
    assert (binarize(a, IDS) == a).all()


EXPECTED = [[0, 1, 1, 0, 0], [1, 0, 0, 0, 1], [0, 0, 0, 0, 0]]


def test_binarize_a_dataframe_named_by_label_is_reordered() -> None:
    named = pd.DataFrame(EXPECTED, columns=list(IDS))
    shuffled = named[list(reversed(IDS))]  # columns no longer in taxonomy order
    assert binarize(shuffled, IDS).tolist() == EXPECTED
    assert binarize(named.astype(bool), IDS).tolist() == EXPECTED


def test_binarize_an_unnamed_dataframe_is_positional() -> None:
    assert binarize(pd.DataFrame(EXPECTED), IDS).tolist() == EXPECTED


def test_binarize_accepts_lists_of_indicator_rows() -> None:
    assert binarize(EXPECTED, IDS).tolist() == EXPECTED
    assert binarize(tuple(tuple(r) for r in EXPECTED), IDS).tolist() == EXPECTED
    assert binarize([[True, False, False, False, True]], IDS).tolist() == [[1, 0, 0, 0, 1]]


@pytest.mark.parametrize(
    "y",
    [
        pd.DataFrame([[0, 1, 0]]),  # too few columns
        pd.DataFrame([[0, 1, 0, 0, 0]], columns=["talent", "a", "b", "c", "d"]),  # partly named
        [[0, 1, 0]],  # list rows of the wrong width
        [[0, 1, 0, 0, 0], [1, 0]],  # ragged
        np.zeros((2, 6)),
    ],
)
def test_binarize_rejects_indicators_of_the_wrong_shape(y: object) -> None:
    with pytest.raises(ValueError):
        binarize(y, IDS)


def test_fit_learns_the_same_from_a_dataframe_as_from_tuples(fitted: PolicyClassifier) -> None:
    frame = pd.DataFrame(binarize(Y, IDS), columns=list(IDS))[list(reversed(IDS))]
    other = PolicyClassifier(cv=3).fit(TEXTS, frame, groups=GROUPS)
    np.testing.assert_allclose(other.coef_, fitted.coef_)


def test_folds_are_grouped() -> None:
    groups = ["x"] * 5 + ["y"] * 5 + ["z"] * 5
    for tr, te in folds(15, groups, 5):
        assert not {groups[i] for i in tr} & {groups[i] for i in te}
    assert fold_splits(15, groups, 5)[1] is True


@pytest.mark.parametrize("groups", [None, ["one"] * 15])
def test_fold_splits_say_when_they_are_not_grouped(groups: list[str] | None) -> None:
    splits, grouped = fold_splits(15, groups, 5)
    assert grouped is False
    assert len(splits) == 5


def test_fit_without_groups_warns_once() -> None:
    with pytest.warns(UngroupedFoldsWarning, match="groups") as record:
        PolicyClassifier(cv=2).fit(TEXTS, Y)
    assert len([w for w in record if w.category is UngroupedFoldsWarning]) == 1
    assert "set_fit_request(groups=True)" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UngroupedFoldsWarning)
        PolicyClassifier(cv=2).fit(TEXTS, Y, groups=GROUPS)
        PolicyClassifier(calibrate=False, tune_thresholds=False).fit(TEXTS, Y)


def test_groups_reach_fit_inside_sklearn_cross_validation() -> None:
    est = PolicyClassifier(cv=2)
    with sklearn.config_context(enable_metadata_routing=True):
        est.set_fit_request(groups=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error", UngroupedFoldsWarning)
            res = cross_validate(est, TEXTS, Y, cv=GroupKFold(3), params={"groups": GROUPS})
    assert len(res["test_score"]) == 3


def test_platt_and_threshold_helpers() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    dec = y * 2.0 - 1.0 + rng.normal(0, 1, 400)
    a, b = _platt(dec, y)
    assert a > 0
    p = 1 / (1 + np.exp(-(a * dec + b)))
    assert abs(p.mean() - y.mean()) < 0.05  # calibrated on average
    assert 0.2 <= _best_threshold(p, y) <= 0.8
    assert _platt(dec, np.zeros(400, dtype=int)).tolist() == [1.0, 0.0]
