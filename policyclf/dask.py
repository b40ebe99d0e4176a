"""Tag a Dask DataFrame column on a cluster (needs the ``dask`` extra).

::

    import dask.dataframe as dd
    from policyclf.dask import tag_dask

    ddf = dd.read_parquet("data/*.parquet")
    out = tag_dask(ddf, text_col="text")          # a lazy dask DataFrame
    out.to_parquet("tagged/")                     # or out.compute(), out.persist(), ...

Each partition is tagged with :meth:`policyclf.Model.tag_many` and gets the columns of
:meth:`~policyclf.Model.tag_frame` (``labels``, ``score_<id>``, ``error``; ``evidence`` too with
``evidence=True``). The model is loaded **once per worker process** and kept in a cache keyed
by its fingerprint: the task graph holds only a small description of the model (its path and
fingerprint, or the bundled default), or, for a model that exists only in memory, its saved
files once as a single graph key. Index, partitions and row order are kept; a row that cannot be
tagged (None, NaN, a number) keeps its place with the reason in ``error``.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import threading
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

    from .model import Model

__all__ = ["UNITS", "tag_batches", "tag_dask", "tag_partition"]

#: What one output row is: each input row (``"text"``), or each sentence of it (``"sentence"``).
UNITS = ("text", "sentence")

_cache: dict[str, Model] = {}
_lock = threading.Lock()


def tag_dask(
    ddf: dd.DataFrame,
    text_col: str = "text",
    model: Model | str | os.PathLike[str] | None = None,
    unit: str = "text",
    evidence: bool = False,
    *,
    batch_size: int = 2048,
) -> dd.DataFrame:
    """Tag column ``text_col`` of a Dask DataFrame; returns a lazy Dask DataFrame.

    Args:
        ddf: the input; every column is kept.
        text_col: the column holding the texts.
        model: None for the bundled default model; a path to a saved model folder (which every
            worker must be able to read, e.g. on a shared file system); or a :class:`Model`
            (its files travel once per worker).
        unit: ``"text"`` (one output row per input row) or ``"sentence"`` (one row per
            sentence of each text, with columns ``sentence``, ``start``, ``end`` and the
            sentence in ``text_col``; the input's index is repeated).
        evidence: add an ``evidence`` column (JSON: label -> [[term, weight], ...]).
        batch_size: texts tagged together inside a partition (speed and memory only).

    Raises:
        KeyError: no column ``text_col``. ValueError: an output column name is taken, or an
        unknown ``unit``.
    """
    from .model import Model
    from .persistence import fingerprint

    if unit not in UNITS:
        raise ValueError(f"tag_dask: unit must be one of {UNITS}, got {unit!r}")
    if text_col not in ddf.columns:
        raise KeyError(f"tag_dask: no column {text_col!r}; the DataFrame has {list(ddf.columns)}")
    spec: dict[str, Any]
    shipped: Any = None
    if model is None:
        from . import default_model_path, load

        local = load()
        spec = {"kind": "path", "path": None, "fingerprint": fingerprint(default_model_path())}
    elif isinstance(model, Model):
        local = model
        blob, fp = _model_blob(model)
        spec = {"kind": "blob", "fingerprint": fp}
        from dask import delayed

        shipped = delayed(blob, pure=True)  # one key in the graph, sent once per worker
    else:
        from . import load

        path = os.path.abspath(os.fspath(model))
        local = load(path)
        spec = {"kind": "path", "path": path, "fingerprint": fingerprint(path)}
    from dask.dataframe.utils import pyarrow_strings_enabled

    # the text columns added follow Dask's convention (pyarrow strings when it converts them)
    strings = bool(pyarrow_strings_enabled())
    meta = _meta(ddf._meta, text_col, local, unit, evidence, strings)
    return ddf.map_partitions(
        tag_partition,
        spec,
        shipped,
        text_col=text_col,
        unit=unit,
        evidence=evidence,
        batch_size=batch_size,
        strings=strings,
        meta=meta,
        enforce_metadata=False,
    )


def tag_partition(
    pdf: pd.DataFrame,
    spec: dict[str, Any],
    blob: bytes | None = None,
    text_col: str = "text",
    unit: str = "text",
    evidence: bool = False,
    batch_size: int = 2048,
    strings: bool = False,
) -> pd.DataFrame:
    """Tag one pandas partition (what :func:`tag_dask` runs on the workers)."""
    model = _worker_model(spec, blob)
    if unit == "sentence":
        pdf = _sentence_rows(pdf, text_col)
    return _as_strings(_tag_frame(model, pdf, text_col, evidence, batch_size), strings)


def _as_strings(out: pd.DataFrame, strings: bool) -> pd.DataFrame:
    """The added text columns as pyarrow strings, when Dask converts text columns so."""
    if strings:
        import pandas as pd

        for col in ("labels", "evidence", "error"):
            if col in out.columns:
                out[col] = out[col].astype(pd.StringDtype("pyarrow"))
    return out


def tag_batches(
    batches: Iterable[pd.DataFrame],
    text_col: str = "text",
    model: str | os.PathLike[str] | None = None,
    evidence: bool = False,
    batch_size: int = 2048,
) -> Iterator[pd.DataFrame]:
    """Tag each DataFrame of an iterator: the function for Spark's ``mapInPandas``.

    The model (None: the bundled default; else a saved model folder every executor can read)
    is loaded once per Python worker process and reused. The output columns are those of
    :func:`tag_dask`; see ``docs/dask.md`` for the Spark schema.
    """
    from .persistence import fingerprint

    if model is None:
        from . import default_model_path

        spec = {"kind": "path", "path": None, "fingerprint": fingerprint(default_model_path())}
    else:
        path = os.path.abspath(os.fspath(model))
        spec = {"kind": "path", "path": path, "fingerprint": fingerprint(path)}
    for pdf in batches:
        yield tag_partition(pdf, spec, None, text_col, "text", evidence, batch_size)


# ---------------------------------------------------------------------- the model on workers


def _worker_model(spec: dict[str, Any], blob: bytes | None) -> Model:
    """The model a spec describes, loaded once per process (cached by fingerprint)."""
    key = spec["fingerprint"]
    model = _cache.get(key)
    if model is not None:
        return model
    with _lock:
        model = _cache.get(key)
        if model is None:
            from . import load

            if spec["kind"] == "blob":
                assert blob is not None
                model = _load_blob(blob)
            else:
                model = load(spec["path"])
            _cache.clear()  # one model per worker process at a time
            _cache[key] = model
        return model


def _model_blob(model: Model) -> tuple[bytes, str]:
    """A model's saved folder as zip bytes, and its fingerprint."""
    from .persistence import fingerprint

    with tempfile.TemporaryDirectory(prefix="policyclf-") as tmp:
        folder = model.save(Path(tmp) / "model")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
            for f in sorted(folder.iterdir()):
                zf.write(f, f.name)
        return buffer.getvalue(), fingerprint(folder)


def _load_blob(blob: bytes) -> Model:
    from . import load

    with tempfile.TemporaryDirectory(prefix="policyclf-") as tmp:
        folder = Path(tmp) / "model"
        folder.mkdir()
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            for name in zf.namelist():
                if "/" in name or name.startswith("."):  # only the flat files save writes
                    continue
                (folder / name).write_bytes(zf.read(name))
        return load(folder)


# ---------------------------------------------------------------------- one partition


def _output_columns(model: Model, evidence: bool) -> list[str]:
    return ["labels", *(f"score_{k}" for k in model.labels), *(["evidence"] if evidence else [])]


def _meta(
    meta: pd.DataFrame, text_col: str, model: Model, unit: str, evidence: bool, strings: bool
) -> pd.DataFrame:
    for col in [*_output_columns(model, evidence), "error"]:
        if col in meta.columns:
            raise ValueError(
                f"tag_dask: the DataFrame has a column named {col!r}, an output column"
            )
    if unit == "sentence":
        meta = _sentence_rows(meta, text_col)
    return _as_strings(_tag_frame(model, meta.iloc[:0], text_col, evidence, 1), strings)


def _sentence_rows(pdf: pd.DataFrame, text_col: str) -> pd.DataFrame:
    """One row per sentence of each text (the index repeated), with its number and offsets;
    a row that is not text, or has no sentence, stays one row (tagged or flagged as is)."""
    import pandas as pd

    from .readers.sentences import split_sentences

    for col in ("sentence", "start", "end"):
        if col in pdf.columns:
            raise ValueError(
                f"tag_dask: the DataFrame has a column named {col!r}, an output column"
            )
    take: list[int] = []
    texts: list[Any] = []
    number: list[int] = []
    start: list[float] = []
    end: list[float] = []
    for i, value in enumerate(pdf[text_col].tolist()):
        parts = split_sentences(value) if isinstance(value, str) else ()
        if not parts:
            take.append(i)
            texts.append(value)
            number.append(0)
            start.append(np.nan)
            end.append(np.nan)
            continue
        for j, s in enumerate(parts, start=1):
            take.append(i)
            texts.append(s.text)
            number.append(j)
            start.append(s.start)
            end.append(s.end)
    out = pdf.iloc[take].copy()
    out[text_col] = pd.Series(texts, index=out.index, dtype=object)
    out["sentence"] = pd.Series(number, index=out.index, dtype="int64")
    out["start"] = pd.Series(start, index=out.index, dtype="float64")
    out["end"] = pd.Series(end, index=out.index, dtype="float64")
    return out


def _tag_frame(
    model: Model, pdf: pd.DataFrame, text_col: str, evidence: bool, batch_size: int
) -> pd.DataFrame:
    """``model.tag_frame(pdf, text_col)``, with an ``evidence`` column when asked."""
    if not evidence:
        return model.tag_frame(pdf, text_col, batch_size=batch_size)
    import pandas as pd

    from .model import _why_not_text

    values = pdf[text_col].tolist()
    ok = [i for i, v in enumerate(values) if isinstance(v, str)]
    tags = model.tag_many([values[i] for i in ok], batch_size=batch_size)
    n = len(values)
    labels, found = [""] * n, [""] * n
    scores = np.full((n, len(model.labels)), np.nan)
    for i, t in zip(ok, tags, strict=True):
        labels[i] = ";".join(t.labels)
        scores[i] = [t.scores[k] for k in model.labels]
        found[i] = json.dumps(t.evidence, ensure_ascii=False)
    out = pdf.copy()
    out["labels"] = pd.Series(labels, index=pdf.index, dtype=object)
    for j, k in enumerate(model.labels):
        out[f"score_{k}"] = pd.Series(scores[:, j], index=pdf.index)
    out["evidence"] = pd.Series(found, index=pdf.index, dtype=object)
    out["error"] = pd.Series([_why_not_text(v) for v in values], index=pdf.index, dtype=object)
    return out
