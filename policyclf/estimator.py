"""``PolicyClassifier``: the scikit-learn estimator that learns a :class:`policyclf.Model`.

It follows scikit-learn's estimator contract: ``__init__`` stores parameters only, ``fit``
returns ``self``, learned attributes end in ``_``, and ``clone`` and ``Pipeline`` work.

``fit(texts, y, groups=None)``:

1. builds the features (words + character bigrams + the taxonomy's cue terms, see
   :mod:`policyclf.features`);
2. fits one L2-regularised logistic regression per label (balanced class weights);
3. runs the same fit on grouped cross-validation folds (``groups`` = document/city, so the
   sentences of one paragraph never sit on both sides) to get out-of-fold scores, from which it
   learns a Platt calibration per label and picks the per-label decision threshold that
   maximises F1 — both stored in the model. Without ``groups`` (or with a single group) the
   folds are random and an :class:`UngroupedFoldsWarning` says so.

Texts without any Chinese character (after :func:`policyclf.text.normalize`) get probability
0.0 and no label, exactly as :class:`policyclf.Model` tags them.

``predict`` returns a label-indicator array (n_samples, n_labels) in the order of
``classes_``; ``predict_labels`` returns tuples of label ids; ``predict_proba`` the calibrated
probabilities. ``to_model()`` gives the numpy-only :class:`policyclf.Model` used for tagging.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold

from .analyzed import AnalyzedTexts
from .features import AnalysedText, Featurizer
from .model import Model
from .taxonomy import Taxonomy, load_taxonomy
from .text import is_chinese_text

__all__ = [
    "NO_TEXT_SCORE",
    "PolicyClassifier",
    "UngroupedFoldsWarning",
    "binarize",
    "fold_splits",
    "folds",
    "oof_decisions",
]

#: Thresholds are searched on this grid (a coarse grid: there is little data per label).
THRESHOLD_GRID = np.round(np.arange(0.20, 0.81, 0.05), 2)

#: ``decision_function`` value of texts without a Chinese character (never tagged).
NO_TEXT_SCORE = float(np.finfo(np.float64).min)


class UngroupedFoldsWarning(UserWarning):
    """Calibration/thresholds (or a cross-validation) used random folds, not grouped ones.

    Random folds put sentences of one document on both sides of a split, so thresholds and
    scores learned from them are optimistic. Pass ``groups`` (document, city, ...) to avoid it.
    """


def binarize(y: Any, labels: Sequence[str]) -> np.ndarray:
    """Turn ``y`` into a 0/1 array (n_samples, n_labels) with columns in ``labels`` order.

    ``y`` may be label collections per row (tuples/lists/sets of ids, or ";"-separated
    strings), or an indicator matrix: a 2-D numpy array, a pandas DataFrame (columns named by
    label id are reordered to ``labels``; otherwise they are taken in order) or a 2-D
    list/tuple of 0/1 numbers. A matrix of the wrong width raises ``ValueError``.
    """
    if _is_matrix(y):
        return _indicator(y, labels)
    if _is_number_rows(y):
        try:
            arr = np.asarray(y)
        except ValueError as e:  # ragged rows
            raise ValueError(f"y looks like 0/1 indicator rows but they are ragged: {e}") from e
        return _indicator(arr, labels)
    index = {k: j for j, k in enumerate(labels)}
    out = np.zeros((len(y), len(labels)), dtype=np.int64)
    for i, row in enumerate(y):
        items = [x for x in row.split(";") if x] if isinstance(row, str) else list(row)
        for lab in items:
            if not isinstance(lab, str) or lab not in index:
                raise ValueError(f"y[{i}]: unknown label {lab!r} (labels: {list(labels)})")
            out[i, index[lab]] = 1
    return out


def _is_matrix(y: Any) -> bool:
    """A numpy array, DataFrame or anything array-like with ``to_numpy`` and two dimensions."""
    if isinstance(y, np.ndarray):
        return y.ndim == 2
    return hasattr(y, "to_numpy") and getattr(y, "ndim", None) == 2


def _is_number_rows(y: Any) -> bool:
    """A list/tuple whose rows are lists/tuples/arrays holding numbers (0/1), not label ids."""
    if not isinstance(y, (list, tuple)) or not y:
        return False
    for row in y:
        if isinstance(row, (list, tuple, np.ndarray)):
            for v in row:
                if isinstance(v, (bool, int, float, np.number, np.bool_)):
                    return True
    return False


def _indicator(y: Any, labels: Sequence[str]) -> np.ndarray:
    columns = getattr(y, "columns", None)
    if columns is not None:
        names = [str(c) for c in columns]
        if sorted(names) == sorted(labels):
            y = y[[columns[names.index(k)] for k in labels]]
        elif set(names) & set(labels):
            missing = [k for k in labels if k not in names]
            extra = [n for n in names if n not in labels]
            raise ValueError(
                f"y's columns {names} name some labels but not exactly {list(labels)} "
                f"(missing {missing}, unexpected {extra})"
            )
    arr = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if arr.ndim != 2:
        raise ValueError(f"y must be 2-D indicator rows, got shape {arr.shape}")
    if arr.shape[1] != len(labels):
        raise ValueError(f"y has {arr.shape[1]} columns but there are {len(labels)} labels")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"y's indicator values must be numbers (0/1), got dtype {arr.dtype}")
    return (arr > 0).astype(np.int64)


class PolicyClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label TF-IDF + logistic-regression classifier of policy measures.

    Parameters:
        taxonomy: a :class:`Taxonomy`, a path to a taxonomy file, or None for the bundled one;
            its ids are the labels and its cue terms feed the cue features.
        use_cues: add one cue-count feature per label from the taxonomy's cue terms.
        frames: add one feature per sentence-frame group of ``labels/frames.toml`` (a document
            talking about itself, a target, a procedure, an action, a field outside innovation
            policy, ...), counted like the cue terms.
        gate: also learn a measure/no-measure scorer (does the text carry any measure?) and
            score each label as ``P(label) * P(measure)``, with thresholds tuned on those
            products: text that carries no measure is held back even when it is full of a
            label's topic words.
        cue_scale: weight of the cue features relative to the (L2-normalised) text features.
        char_bigrams: add Chinese character-bigram features beside the words.
        C: inverse regularisation strength of each logistic regression.
        min_df: minimum number of training texts a word/bigram must occur in.
        cv: number of grouped folds for calibration and thresholds (fewer if fewer groups).
        calibrate: learn a Platt calibration per label from out-of-fold scores.
        tune_thresholds: pick per-label thresholds on out-of-fold scores (else 0.5).
        random_state: seed for the folds when no groups are given.

    The defaults are the shipped design (:data:`policyclf.training.DEFAULT_PARAMS`).

    Groups: pass ``fit(texts, y, groups=...)`` (document, city, ...) so the inner folds that
    tune calibration and thresholds are grouped; without them the folds are random and ``fit``
    warns (:class:`UngroupedFoldsWarning`). Inside scikit-learn's own cross-validation or
    search, route the groups to ``fit`` with metadata routing::

        import sklearn
        from sklearn.model_selection import GroupKFold, cross_validate

        sklearn.set_config(enable_metadata_routing=True)
        est = PolicyClassifier().set_fit_request(groups=True)
        cross_validate(est, texts, y, cv=GroupKFold(5), params={"groups": groups})
    """

    def __init__(
        self,
        taxonomy: Taxonomy | str | None = None,
        *,
        use_cues: bool = True,
        frames: bool = True,
        gate: bool = True,
        cue_scale: float = 0.5,
        char_bigrams: bool = True,
        C: float = 10.0,
        min_df: int = 1,
        cv: int = 5,
        calibrate: bool = True,
        tune_thresholds: bool = True,
        random_state: int = 0,
    ) -> None:
        self.taxonomy = taxonomy
        self.use_cues = use_cues
        self.frames = frames
        self.gate = gate
        self.cue_scale = cue_scale
        self.char_bigrams = char_bigrams
        self.C = C
        self.min_df = min_df
        self.cv = cv
        self.calibrate = calibrate
        self.tune_thresholds = tune_thresholds
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def _taxonomy(self) -> Taxonomy:
        if isinstance(self.taxonomy, Taxonomy):
            return self.taxonomy
        return load_taxonomy(self.taxonomy)

    def _featurizer(self, tax: Taxonomy) -> Featurizer:
        cues = [c.cues for c in tax.categories] if self.use_cues else []
        shown = len(cues)  # the categories' cue terms are evidence; frame terms are not
        if self.frames:
            from .frames import load_frames

            cues += [f.terms for f in load_frames()]
        return Featurizer(
            cues,
            char_bigrams=self.char_bigrams,
            cue_scale=self.cue_scale,
            min_df=self.min_df,
            shown_cues=shown,
        )

    def _analyzed(self, texts: Sequence[str], tax: Taxonomy) -> AnalyzedTexts:
        """The texts analysed once for this fit (its folds reuse the analysis); texts that
        come analysed for the same cue terms are used as they are."""
        cue_terms = tuple(self._featurizer(tax)._cue_terms)
        if isinstance(texts, AnalyzedTexts) and texts.cue_terms == cue_terms:
            return texts
        return AnalyzedTexts(list(texts), cue_terms)

    def _fit_core(
        self, texts: Sequence[str], Y: np.ndarray, tax: Taxonomy
    ) -> tuple[Featurizer, np.ndarray, np.ndarray]:
        feat = self._featurizer(tax).fit(texts)
        X = feat.transform(texts).to_scipy()
        k = Y.shape[1]
        coef = np.zeros((feat.n_features, k))
        intercept = np.zeros(k)
        for j in range(k):
            col = Y[:, j]
            if col.min() == col.max():
                # a label that is always (or never) on in the training data: constant score
                intercept[j] = 8.0 if col[0] else -8.0
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lr = LogisticRegression(
                    C=self.C,
                    class_weight="balanced",
                    max_iter=5000,
                    solver="liblinear",
                    dual=True,  # n_samples < n_features: the dual is ~15x faster, same optimum
                    random_state=0,  # liblinear shuffles the data: fixed, so fits repeat
                ).fit(X, col)
            coef[:, j] = lr.coef_[0]
            intercept[j] = lr.intercept_[0]
        return feat, coef, intercept

    def fit(
        self, X: Iterable[str], y: Any, groups: Sequence[Any] | None = None
    ) -> PolicyClassifier:
        """Fit on texts ``X`` and labels ``y``; ``groups`` (document/region) make folds grouped."""
        tax = self._taxonomy()
        texts = self._analyzed(_texts(X), tax)
        labels = tax.ids
        Y = binarize(y, labels)
        if len(texts) != len(Y):
            raise ValueError(f"X has {len(texts)} texts but y has {len(Y)} rows")
        if len(texts) < 2:
            raise ValueError("need at least two training texts")
        self.taxonomy_ = tax
        self.classes_ = np.array(labels)
        k = len(labels)
        measure = Y.max(axis=1, keepdims=True)
        Yfit = np.hstack([Y, measure]) if self.gate else Y
        self.featurizer_, coef, intercept = self._fit_core(texts, Yfit, tax)
        self.coef_, self.intercept_ = coef[:, :k], intercept[:k]
        self.gate_coef_: np.ndarray | None = coef[:, k] if self.gate else None
        self.gate_params_: np.ndarray | None = (
            np.array([intercept[k], 1.0, 0.0]) if self.gate else None
        )
        self.calibration_ = np.tile([1.0, 0.0], (k, 1))
        self.thresholds_ = np.full(k, 0.5)
        self.oof_decision_: np.ndarray | None = None
        self.fold_of_: np.ndarray | None = None
        if self.calibrate or self.tune_thresholds:
            grouped = fold_splits(len(texts), groups, self.cv, self.random_state)[1]
            if not grouped:
                why = "no groups were given" if groups is None else "the groups have one value"
                warnings.warn(
                    f"PolicyClassifier.fit: {why}, so calibration and thresholds come from "
                    "random folds (sentences of one document on both sides, optimistic "
                    "thresholds); pass fit(texts, y, groups=document_or_region_per_text), or "
                    "inside scikit-learn CV use sklearn.set_config(enable_metadata_routing=True) "
                    "and est.set_fit_request(groups=True)",
                    UngroupedFoldsWarning,
                    stacklevel=2,
                )
            dec, fold_of = oof_decisions(self, texts, Yfit, groups)
            self.oof_decision_ = dec[:, :k]
            self.fold_of_ = fold_of
            g = np.ones(len(texts))
            if self.gate_params_ is not None:
                if self.calibrate:
                    self.gate_params_[1:] = _platt(dec[:, k], measure[:, 0])
                g = _sigmoid(self.gate_params_[1] * dec[:, k] + self.gate_params_[2])
            for j in range(k):
                if self.calibrate:
                    self.calibration_[j] = _platt(dec[:, j], Y[:, j])
                if self.tune_thresholds:
                    p = _sigmoid(self.calibration_[j, 0] * dec[:, j] + self.calibration_[j, 1])
                    self.thresholds_[j] = _best_threshold(p * g, Y[:, j])
        return self

    # ------------------------------------------------------------------ prediction
    def to_model(
        self,
        metadata: Mapping[str, Any] | None = None,
        report: Mapping[str, Any] | None = None,
    ) -> Model:
        """The fitted classifier as a numpy-only :class:`Model` for tagging and saving."""
        from .evaluation import Report

        self._check_fitted()
        return Model(
            self.featurizer_,
            self.coef_,
            self.intercept_,
            self.calibration_,
            self.thresholds_,
            self.taxonomy_,
            metadata=metadata,
            report=Report(report or {}),
            gate_coef=self.gate_coef_,
            gate_params=self.gate_params_,
        )

    def decision_function(self, X: Iterable[str]) -> np.ndarray:
        """Linear scores, (n_samples, n_labels).

        Rows of texts without a Chinese character hold the lowest finite float
        (:data:`NO_TEXT_SCORE`): the model never tags them (:meth:`predict_proba` gives them
        0.0, as :class:`Model` does), and scikit-learn metrics still accept the scores.
        """
        z, live, _ = self._decisions(X)
        z[~live] = NO_TEXT_SCORE
        return z

    def predict_proba(self, X: Iterable[str]) -> np.ndarray:
        """Calibrated probabilities, (n_samples, n_labels), columns in ``classes_`` order.

        Texts without a Chinese character get 0.0 for every label, as with :class:`Model`.
        """
        z, live, zg = self._decisions(X)
        p = _sigmoid(self.calibration_[:, 0] * z + self.calibration_[:, 1])
        if zg is not None and self.gate_params_ is not None:
            p *= _sigmoid(self.gate_params_[1] * zg + self.gate_params_[2])[:, None]
        p[~live] = 0.0
        return p

    def _decisions(self, X: Iterable[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Raw linear scores of the labels, the mask of texts the model scores (those with
        Chinese), and the measure scorer's raw scores (None when the model has no gate)."""
        self._check_fitted()
        texts = _texts(X)
        rows = self.featurizer_.transform(texts)
        z: np.ndarray = rows.dot(self.coef_) + self.intercept_
        zg = None
        if self.gate_coef_ is not None and self.gate_params_ is not None:
            zg = rows.dot(self.gate_coef_[:, None])[:, 0] + self.gate_params_[0]
        return z, _chinese_mask(texts), zg

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """Label indicators (n_samples, n_labels) using the per-label thresholds."""
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int64)

    def predict_labels(self, X: Iterable[str]) -> list[tuple[str, ...]]:
        """Predicted label ids per text, in taxonomy order."""
        return [tuple(self.classes_[row.astype(bool)].tolist()) for row in self.predict(X)]

    def score(self, X: Iterable[str], y: Any, sample_weight: Any = None) -> float:
        """Micro-averaged F1 over labels (the default score for model selection)."""
        from sklearn.metrics import f1_score

        self._check_fitted()
        Y = binarize(y, list(self.classes_))
        return float(f1_score(Y, self.predict(X), average="micro", zero_division=0))

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("PolicyClassifier is not fitted yet; call fit(texts, y) first")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.target_tags.multi_output = True
        tags.classifier_tags.multi_label = True
        return tags


# ---------------------------------------------------------------------- helpers


def _texts(X: Iterable[str]) -> Sequence[str]:
    if isinstance(X, str):
        raise TypeError("X must be a list of texts, not a single str")
    if isinstance(X, AnalyzedTexts):
        return X
    texts = list(X)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"X[{i}]: expected a str, got {type(t).__name__}")
    return texts


def _chinese_mask(texts: Sequence[str]) -> np.ndarray:
    """True for texts the model scores (at least one Chinese character after normalising)."""
    if isinstance(texts, AnalyzedTexts):
        return texts.analysed | np.fromiter(
            (is_chinese_text(t, normalized=True) for t in texts.norms), dtype=bool, count=len(texts)
        )
    return np.fromiter(
        (isinstance(t, AnalysedText) or is_chinese_text(t) for t in texts),
        dtype=bool,
        count=len(texts),
    )


def fold_splits(
    n: int, groups: Sequence[Any] | None, n_splits: int, random_state: int = 0
) -> tuple[list[tuple[np.ndarray, np.ndarray]], bool]:
    """The folds of :func:`folds`, and whether they are grouped.

    Grouped (``GroupKFold``) when ``groups`` has at least two distinct values; otherwise
    shuffled ``KFold`` and the flag is False.
    """
    idx = np.arange(n)
    if groups is not None:
        g = np.asarray([str(x) for x in groups])
        n_groups = len(set(g.tolist()))
        if n_groups >= 2:
            splits = GroupKFold(n_splits=min(n_splits, n_groups)).split(idx, groups=g)
            return list(splits), True
    splits = KFold(min(n_splits, n), shuffle=True, random_state=random_state).split(idx)
    return list(splits), False


def folds(
    n: int, groups: Sequence[Any] | None, n_splits: int, random_state: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Grouped folds when ``groups`` has ≥ 2 distinct values, else shuffled K-fold.

    Use :func:`fold_splits` to also learn which of the two it was.
    """
    return fold_splits(n, groups, n_splits, random_state)[0]


def oof_decisions(
    est: PolicyClassifier, texts: Sequence[str], Y: np.ndarray, groups: Sequence[Any] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold decision values of ``est``'s design, and the fold of each row."""
    dec = np.zeros(Y.shape, dtype=np.float64)
    fold_of = np.zeros(len(texts), dtype=np.int64)
    tax = est._taxonomy() if not hasattr(est, "taxonomy_") else est.taxonomy_
    analyzed = est._analyzed(texts, tax)  # each text is analysed once for all folds
    for f, (tr, te) in enumerate(fold_splits(len(texts), groups, est.cv, est.random_state)[0]):
        feat, coef, intercept = est._fit_core(analyzed.subset(tr), Y[tr], tax)
        dec[te] = feat.transform(analyzed.subset(te)).dot(coef) + intercept
        fold_of[te] = f
    return dec, fold_of


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _platt(dec: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Platt scaling (a, b) with the usual target smoothing; identity if y is constant."""
    if y.min() == y.max():
        return np.array([1.0, 0.0])
    n_pos = float(y.sum())
    n_neg = float(len(y) - n_pos)
    t = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    a, b = 1.0, 0.0
    for _ in range(100):  # Newton's method on the smoothed log-loss
        p = _sigmoid(a * dec + b)
        g = np.array([np.sum((p - t) * dec), np.sum(p - t)])
        w = p * (1 - p) + 1e-12
        h = np.array(
            [[np.sum(w * dec * dec) + 1e-6, np.sum(w * dec)], [np.sum(w * dec), np.sum(w) + 1e-6]]
        )
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-9:
            break
    if not np.isfinite([a, b]).all() or a <= 0:
        return np.array([1.0, 0.0])
    return np.array([a, b])


def _best_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The grid threshold with the best F1 (ties → closest to 0.5)."""
    if y.sum() == 0:
        return 0.5
    best, best_t = -1.0, 0.5
    for t in sorted(THRESHOLD_GRID, key=lambda t: abs(t - 0.5)):
        pred = p >= t
        tp = float(np.sum(pred & (y == 1)))
        f1 = 2 * tp / (pred.sum() + y.sum()) if (pred.sum() + y.sum()) else 0.0
        if f1 > best + 1e-12:
            best, best_t = f1, float(t)
    return best_t
