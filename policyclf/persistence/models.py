"""Saving and loading a :class:`policyclf.Model` as a bundle, with its report.

:func:`save_model` decides which arrays and metadata make up a model and attaches its report
(``report.json``, ``report.md``); :func:`load_model` rebuilds the model from them.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from policyclf.exceptions import ModelFileError

from .load import load_bundle
from .save import save_bundle

__all__ = ["MODEL_KIND", "load_model", "save_model"]


#: The ``meta["kind"]`` of a saved tagging model.
MODEL_KIND = "policyclf.Model"


def save_model(model: Any, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Save a :class:`policyclf.Model` as a bundle folder (atomic; see :func:`save_bundle`).

    Arrays: the vocabulary, idf weights, coefficients, intercepts, calibration and thresholds.
    Meta: the featurizer settings and cue terms, the taxonomy, the model's metadata.
    Extra files: ``report.json`` and ``report.md`` when the model has a report.
    """
    from ..evaluation import report_markdown

    state = model.featurizer.state()
    arrays = {
        "terms_utf8": _encode_terms(cast("Sequence[str]", state["terms"])),
        "idf": state["idf"],
        "coef": model.coef,
        "intercept": model.intercept,
        "calibration": model.calibration,
        "thresholds": model.thresholds,
    }
    if getattr(model, "gate_coef", None) is not None:
        arrays["gate_coef"] = model.gate_coef
        arrays["gate_params"] = model.gate_params
    meta = {
        "kind": MODEL_KIND,
        "labels": list(model.labels),
        "featurizer": {
            "cues": state["cues"],
            "char_bigrams": bool(state["char_bigrams"]),
            "cue_scale": float(cast(float, state["cue_scale"])),
            "min_df": int(cast(int, state["min_df"])),
            "shown_cues": int(cast(int, state["shown_cues"])),
        },
        "taxonomy": model.taxonomy.to_dict(),
        "metadata": _plain(model.metadata),
    }
    files: dict[str, str | bytes] = {}
    if model.report:
        files["report.json"] = json.dumps(_plain(model.report), ensure_ascii=False, indent=2)
        files["report.md"] = report_markdown(model.report)
    return save_bundle(path, arrays, meta, files, overwrite=overwrite)


def load_model(path: str | os.PathLike[str]) -> Any:
    """Load a model folder written by :func:`save_model`. Never executes code from it.

    Raises:
        ModelFileError: naming the path and the problem (missing, not a model, corrupt,
            written by an incompatible version, inconsistent arrays).
    """
    from ..evaluation import Report
    from ..features import Featurizer
    from ..model import Model
    from ..taxonomy import Taxonomy

    bundle = load_bundle(path)
    meta = bundle.meta
    where = str(bundle.path)
    if meta.get("kind") != MODEL_KIND:
        raise ModelFileError(
            f"{where}: not a policyclf tagging model (kind {meta.get('kind')!r}, "
            f"expected {MODEL_KIND!r})"
        )
    missing = {"idf", "coef", "intercept", "calibration", "thresholds"} - set(bundle.arrays)
    if "terms" not in bundle.arrays and "terms_utf8" not in bundle.arrays:
        missing.add("terms_utf8")
    if missing:
        raise ModelFileError(f"{where}: arrays.npz lacks {sorted(missing)}; re-train the model")
    try:
        tax = Taxonomy.from_dict(meta["taxonomy"], source=f"{where} (taxonomy)")
        fs = meta["featurizer"]
        a = bundle.arrays
        featurizer = Featurizer.from_state(
            terms=_decode_terms(a),
            idf=a["idf"],
            cues=fs["cues"],
            char_bigrams=bool(fs["char_bigrams"]),
            cue_scale=float(fs["cue_scale"]),
            min_df=int(fs.get("min_df", 1)),
            shown_cues=fs.get("shown_cues"),
        )
        if list(tax.ids) != list(meta["labels"]):
            raise ValueError(f"labels {meta['labels']} do not match taxonomy ids {list(tax.ids)}")
        report = json.loads(bundle.text("report.json")) if "report.json" in bundle.files else {}
        return Model(
            featurizer,
            a["coef"],
            a["intercept"],
            a["calibration"],
            a["thresholds"],
            tax,
            metadata=meta.get("metadata", {}),
            report=Report(report),
            gate_coef=a.get("gate_coef"),
            gate_params=a.get("gate_params"),
        )
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(
            f"{where}: the model's contents are inconsistent ({type(exc).__name__}: {exc}); "
            "re-train or re-save it with this version of policyclf"
        ) from exc


def _plain(value: Any) -> Any:
    """Convert numpy scalars/arrays and tuples to plain JSON types."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _encode_terms(terms: Sequence[str]) -> np.ndarray:
    """The vocabulary as UTF-8 bytes, one term per line (format 2)."""
    bad = next((i for i, t in enumerate(terms) if "\n" in t or not t), None)
    if bad is not None:
        raise ValueError(f"vocabulary term {bad} ({terms[bad]!r}) is empty or holds a line break")
    return np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8)


def _decode_terms(arrays: dict[str, np.ndarray]) -> list[str]:
    """The vocabulary of a format-2 (``terms_utf8``) or format-1 (``terms``) model."""
    if "terms_utf8" not in arrays:
        return list(arrays["terms"].tolist())
    raw = arrays["terms_utf8"]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"terms_utf8 has dtype {raw.dtype} and shape {raw.shape}, not uint8 bytes")
    return raw.tobytes().decode("utf-8").split("\n") if len(raw) else []
