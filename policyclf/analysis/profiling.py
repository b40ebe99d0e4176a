"""``profile``: the policy mix of a corpus, per group, with corrected shares and intervals.

For each group (a metadata column such as ``year``, ``issuer`` or ``province``; the whole
corpus when ``by`` is None) and each label: how many units (sentences or paragraphs) there
are, how many the model labels, the raw share, the share corrected for the model's errors
(:mod:`policyclf.analysis.adjust`) and a bootstrap interval over documents.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .adjust import METHODS, GroupUnits, bootstrap_interval, estimate, rate_draws
from .corpus import UNIT_ATTR, UNITS, is_tagged_corpus, tag_corpus
from .rates import ErrorRates, rates_for

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from ..model import Model

__all__ = [
    "DEFAULT_METHOD",
    "MISSING_GROUP",
    "TABLE_COLUMNS",
    "Profile",
    "profile",
    "profile_tagged",
    "write_atomic",
]

#: The correction ``adjust=True`` uses: on held-out coded documents, averaged probabilities came
#: closer to the coders' shares than adjusted classify-and-count with the shipped model (and
#: raw shares closer still, hence ``adjust=False`` by default); see benchmarks/PROFILE.md.
DEFAULT_METHOD = "probability"
#: The group of documents whose ``by`` value is missing.
MISSING_GROUP = "(missing)"
#: The columns of :attr:`Profile.table`, in order.
TABLE_COLUMNS = (
    "group",
    "label",
    "n_docs",
    "n_units",
    "n_labelled",
    "share",
    "adjusted_share",
    "ci_low",
    "ci_high",
)


@dataclass(frozen=True)
class Profile:
    """The policy mix of a corpus by group.

    Attributes:
        table: tidy DataFrame, one row per (group, label) — see :data:`TABLE_COLUMNS`.
            ``share`` = n_labelled / n_units; ``adjusted_share`` the corrected share (NaN
            when ``adjusted`` is False); ``ci_low``/``ci_high`` the bootstrap interval of
            the adjusted share (of the raw share when not adjusted).
        by: the grouping column (None: the whole corpus is one group, ``"all"``).
        unit: ``"sentence"`` or ``"paragraph"``.
        adjusted: whether shares were corrected; ``method`` says how (``"acc"`` or
            ``"probability"``).
        labels: label ids in taxonomy order; ``names``: id -> (Chinese name, English name).
        errors: documents that could not be read or had no text (``doc``, ``error``); they
            are left out of every share.
        rates: the error rates used by ``"acc"`` (None otherwise).
        level, n_boot, seed: the bootstrap settings.
        model: the model's name and training-data hash, for the record.
    """

    table: pd.DataFrame
    by: str | None
    unit: str
    adjusted: bool
    method: str | None
    labels: tuple[str, ...]
    names: Mapping[str, tuple[str, str]]
    errors: pd.DataFrame
    rates: ErrorRates | None = None
    level: float = 0.95
    n_boot: int = 1000
    seed: int = 0
    model: Mapping[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------ views
    @property
    def value_column(self) -> str:
        """``"adjusted_share"`` when adjusted, else ``"share"``: what plots show."""
        return "adjusted_share" if self.adjusted else "share"

    @property
    def groups(self) -> list[Any]:
        """The groups, in order."""
        return list(dict.fromkeys(self.table["group"].tolist()))

    def wide(self, value: str | None = None) -> pd.DataFrame:
        """Groups as rows, labels as columns, of ``value`` (default: :attr:`value_column`)."""
        col = value or self.value_column
        if col not in self.table.columns:
            raise KeyError(f"no column {col!r}; choose one of {list(self.table.columns)}")
        out = self.table.pivot(index="group", columns="label", values=col)
        return out.reindex(index=self.groups, columns=list(self.labels))

    def plot(self, kind: str = "bar", **kwargs: Any) -> Axes:
        """Plot the mix: ``"bar"`` (stacked per group), ``"heatmap"``, or ``"line"`` (over an
        ordered group such as year), with interval error bars or bands; returns the Axes.

        Needs matplotlib (``pip install "policyclf[plot]"``). See
        :func:`policyclf.analysis.plot.plot_profile` for the options.
        """
        from .plot import plot_profile

        return plot_profile(self, kind=kind, **kwargs)

    # ------------------------------------------------------------ output
    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write :attr:`table` as CSV (UTF-8 with a byte-order mark so Excel shows Chinese)."""
        write_atomic(path, lambda tmp: self.table.to_csv(tmp, index=False, encoding="utf-8-sig"))

    def to_excel(self, path: str | os.PathLike[str]) -> None:
        """Write :attr:`table` (sheet ``profile``) and the errors (sheet ``errors``) to .xlsx.

        Needs openpyxl (``pip install "policyclf[excel]"``).
        """
        try:
            import openpyxl  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                'writing Excel files needs openpyxl: pip install "policyclf[excel]"'
            ) from exc
        import pandas as pd

        def write(tmp: str) -> None:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
                self.table.to_excel(xl, sheet_name="profile", index=False)
                self.errors.to_excel(xl, sheet_name="errors", index=False)

        write_atomic(path, write, suffix=".xlsx")

    def summary(self) -> str:
        """One line: groups, documents, units, errors, correction."""
        t = self.table
        first = t[t["label"] == self.labels[0]] if len(t) else t
        n_docs = int(first["n_docs"].sum()) if len(first) else 0
        n_units = int(first["n_units"].sum()) if len(first) else 0
        how = f"adjusted ({self.method})" if self.adjusted else "raw shares"
        by = f"by {self.by}" if self.by else "whole corpus"
        err = f", {len(self.errors)} unreadable" if len(self.errors) else ""
        return (
            f"{by}: {len(self.groups)} group(s), {n_docs} documents, {n_units} {self.unit}s"
            f"{err}; {how}, {self.level:.0%} intervals"
        )

    def __repr__(self) -> str:
        return f"<policyclf Profile {self.summary()}>"

    def _repr_html_(self) -> str:
        from .html import profile_html

        return profile_html(self, max_groups=12)


def profile(
    model: Model,
    source: Any,
    by: str | None = None,
    unit: str = "sentence",
    adjust: bool = False,
    *,
    method: str | None = None,
    rates: ErrorRates | Mapping[str, Any] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    text_col: str = "text",
    id_col: str | None = None,
    n_jobs: int = 1,
    progress: bool = False,
) -> Profile:
    """Profile the policy mix of a corpus.

    Args:
        model: the model that tags the corpus (its cross-validation report gives the error
            rates for ``"acc"``).
        source: a :func:`tag_corpus` result, or anything :func:`policyclf.read_corpus` reads.
        by: a column of the corpus to group by (``"year"`` is taken from ``date`` when the
            corpus has no ``year`` column); None: the whole corpus.
        unit: ``"sentence"`` or ``"paragraph"`` (must match a tagged frame's unit).
        adjust: also give corrected shares (``adjusted_share``, and the intervals of those):
            ``method="acc"`` (adjusted classify-and-count) or ``"probability"`` (averaged
            calibrated probabilities; the default, :data:`DEFAULT_METHOD`). Off by default
            because, with the shipped model, raw shares were the closest to coders' shares on
            held-out documents (benchmarks/PROFILE.md). Giving ``method`` or ``rates`` turns it
            on.
        rates: for ``"acc"`` (giving them selects it), the error rates to correct with: an
            :class:`~policyclf.analysis.rates.ErrorRates`, or the report of
            :func:`policyclf.evaluate` on a coded sample of *your* corpus (rates measured on
            your documents fit them best). Default: the model's cross-validation
            (:func:`~policyclf.analysis.rates.rates_for`).
        n_boot, seed, level: bootstrap replicates, seed, interval level.
        text_col, id_col, n_jobs, progress: passed to :func:`tag_corpus`.

    Documents that could not be read are left out of every share, listed in
    :attr:`Profile.errors`, and announced with a warning.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be 'sentence' or 'paragraph', got {unit!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative int, got {n_boot!r}")
    adjust = bool(adjust) or method is not None or rates is not None
    if rates is not None and method not in (None, "acc"):
        raise ValueError(f"rates= are used by method='acc', not by method={method!r}")
    method = (method or ("acc" if rates is not None else DEFAULT_METHOD)) if adjust else None
    if method is not None and method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    labels = tuple(model.labels)
    if is_tagged_corpus(source):
        tagged = source
        tagged_unit = tagged.attrs.get(UNIT_ATTR) or (
            "sentence" if "sentence" in tagged.columns else "paragraph"
        )
        if tagged_unit != unit:
            raise ValueError(
                f"the tagged corpus has {tagged_unit} units but unit={unit!r} was asked for; "
                f"pass unit={tagged_unit!r} or tag the corpus again"
            )
        missing = [f"score_{k}" for k in labels if f"score_{k}" not in tagged.columns]
        if missing:
            raise ValueError(f"the tagged corpus lacks the model's score columns {missing}")
    else:
        tagged = tag_corpus(
            model,
            source,
            unit,
            text_col=text_col,
            id_col=id_col,
            n_jobs=n_jobs,
            progress=progress,
        )
    used: ErrorRates | None = None
    if method == "acc":
        if rates is None:
            used = rates_for(model.report, labels, unit)
        elif isinstance(rates, ErrorRates):
            used = rates
        else:
            used = ErrorRates.from_metrics(rates, "given metrics")
        missing = [k for k in labels if k not in used.counts]
        if missing:
            raise ValueError(f"the error rates given lack the label(s) {missing}")
    return profile_tagged(
        tagged,
        labels,
        by=by,
        unit=unit,
        method=method,
        rates=used,
        names={c.id: (c.name_zh, c.name_en) for c in model.taxonomy.categories},
        n_boot=n_boot,
        seed=seed,
        level=level,
        model_info={
            k: model.metadata.get(k)
            for k in ("name", "created", "data_sha256")
            if k in model.metadata
        },
    )


def profile_tagged(
    tagged: pd.DataFrame,
    labels: Sequence[str],
    *,
    by: str | None,
    unit: str,
    method: str | None,
    rates: ErrorRates | None,
    names: Mapping[str, tuple[str, str]],
    n_boot: int,
    seed: int,
    level: float,
    model_info: Mapping[str, Any],
) -> Profile:
    """:func:`profile` on a :func:`tag_corpus` result, with the error rates given."""
    import pandas as pd

    err_mask = tagged["error"].fillna("").astype(str) != ""
    errors = tagged.loc[err_mask, [c for c in ("doc", "path", "error") if c in tagged.columns]]
    errors = errors.reset_index(drop=True)
    if len(errors):
        warnings.warn(
            f"profile: {len(errors)} document(s) could not be read or had no text and are left "
            f"out (Profile.errors lists them; first: {errors['error'].iloc[0]})",
            UserWarning,
            stacklevel=3,
        )
    ok = tagged.loc[~err_mask]
    group_values = _group_values(ok, by)
    L = ok["labels"].fillna("").astype(str).map(lambda s: set(s.split(";")) - {""})
    lab = np.array([[k in s for k in labels] for s in L], dtype=bool).reshape(len(ok), len(labels))
    scores = ok[[f"score_{k}" for k in labels]].to_numpy(dtype=float)
    docs = ok["doc"].astype(str).to_numpy()
    draws = None
    if method == "acc" and rates is not None and n_boot > 0:
        draws = rate_draws(rates, labels, n_boot, seed)
    tpr = np.array([rates.tpr(k) for k in labels]) if rates is not None else None
    fpr = np.array([rates.fpr(k) for k in labels]) if rates is not None else None
    if tpr is not None and fpr is not None and np.any(~(tpr > fpr)):
        bad = [k for k, a, b in zip(labels, tpr, fpr, strict=True) if not a > b]
        warnings.warn(
            f"profile: the model's true-positive rate is not above its false-positive rate for "
            f"{bad}; their adjusted shares are NaN",
            UserWarning,
            stacklevel=3,
        )
    rows: list[dict[str, Any]] = []
    for gi, g in enumerate(_ordered(group_values)):
        mask = np.array([v == g for v in group_values], dtype=bool)
        gdocs = docs[mask]
        order = list(dict.fromkeys(gdocs.tolist()))
        index = {d: i for i, d in enumerate(order)}
        idx = np.array([index[d] for d in gdocs], dtype=np.int64)
        glab, gsc = lab[mask], scores[mask]
        unitsets = GroupUnits(
            [glab[idx == i] for i in range(len(order))],
            [gsc[idx == i] for i in range(len(order))],
        )
        lab_sum, sc_sum, n = unitsets.sums()
        raw = estimate(lab_sum, sc_sum, n, None)
        adj = (
            estimate(lab_sum, sc_sum, n, method, tpr, fpr)
            if method
            else np.full(len(labels), np.nan)
        )
        low, high = bootstrap_interval(
            unitsets, method, n_boot=n_boot, seed=seed * 100_003 + gi, level=level, rates=draws
        )
        for j, k in enumerate(labels):
            rows.append(
                {
                    "group": g,
                    "label": k,
                    "n_docs": len(order),
                    "n_units": n,
                    "n_labelled": int(lab_sum[j]),
                    "share": float(raw[j]),
                    "adjusted_share": float(adj[j]),
                    "ci_low": float(low[j]),
                    "ci_high": float(high[j]),
                }
            )
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return Profile(
        table=table,
        by=by,
        unit=unit,
        adjusted=method is not None,
        method=method,
        labels=tuple(labels),
        names=dict(names),
        errors=errors,
        rates=rates,
        level=level,
        n_boot=n_boot,
        seed=seed,
        model=dict(model_info),
    )


_YEAR = re.compile(r"(1[89]\d\d|20\d\d)")


#: Columns the year of ``by="year"`` is taken from, in order, when a document has no ``year``.
DATE_COLUMNS = (
    "date",
    "released",
    "issued",
    "published",
    "pubdate",
    "publish_date",
    "发布日期",
    "成文日期",
    "发文日期",
    "日期",
)


def _group_values(frame: pd.DataFrame, by: str | None) -> list[Any]:
    if by is None:
        return ["all"] * len(frame)
    if by == "year":
        sources = [c for c in ("year", *DATE_COLUMNS) if c in frame.columns]
        if not sources:
            raise KeyError(
                "profile: no column 'year', nor a date column to take the year from "
                f"({', '.join(DATE_COLUMNS)}); the columns are {_shown_columns(frame)}"
            )
        # the year column where given, else the year of the first date column that has one
        columns = [frame[c].tolist() for c in sources]
        values = []
        for row in zip(*columns, strict=True):
            year = None
            for c, v in zip(sources, row, strict=True):
                year = (None if _missing(v) else v) if c == "year" else _year_of(v)
                if year is not None:
                    break
            values.append(year)
    elif by in frame.columns:
        values = frame[by].tolist()
    else:
        raise KeyError(
            f"profile: no column {by!r} to group by; the columns are {_shown_columns(frame)}"
        )
    out = [MISSING_GROUP if _missing(v) else _plain(v) for v in values]
    if out and all(v == MISSING_GROUP for v in out):
        warnings.warn(
            f"profile: no document has a value for {by!r}; all are in the group {MISSING_GROUP}",
            UserWarning,
            stacklevel=4,
        )
    return out


def _shown_columns(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in frame.columns if not str(c).startswith("score_")]


def _year_of(value: Any) -> Any:
    if _missing(value):
        return None
    m = _YEAR.search(str(value))
    return int(m.group(1)) if m else None


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, str) and not v.strip():
        return True
    return v.__class__.__name__ in {"NAType", "NaTType"}


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)  # a year column read with missing values becomes float
    return v


def _ordered(values: Sequence[Any]) -> list[Any]:
    distinct = list(dict.fromkeys(values))
    present = [v for v in distinct if v != MISSING_GROUP]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        present.sort()
    else:
        present.sort(key=lambda v: str(v))
    return present + ([MISSING_GROUP] if MISSING_GROUP in distinct else [])


def write_atomic(path: str | os.PathLike[str], write: Any, suffix: str = "") -> None:
    """Write through a temporary file beside ``path`` and rename it, so that a failure leaves
    no partial output (and an existing file untouched)."""
    import tempfile

    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(prefix=".policyclf-", suffix=suffix or ".tmp", dir=folder)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; give it the usual mode
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
