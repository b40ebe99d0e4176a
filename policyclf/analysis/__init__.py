"""Corpus analysis: tag a whole corpus, profile its policy mix, correct shares, plot, HTML.

``tag_corpus`` (one row per sentence or paragraph of every document), ``profile`` (label shares
per group with error-corrected shares and bootstrap intervals) and :class:`Profile` (tables,
plots, CSV/Excel). Modules are imported on first use, so importing this package is cheap;
:mod:`policyclf.analysis.rates` needs only numpy (training uses it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["ErrorRates", "Profile", "error_rates", "profile", "rates_for", "tag_corpus"]

_LAZY = {
    "ErrorRates": "rates",
    "error_rates": "rates",
    "rates_for": "rates",
    "Profile": "profiling",
    "profile": "profiling",
    "tag_corpus": "corpus",
}

if TYPE_CHECKING:
    from .corpus import tag_corpus
    from .profiling import Profile, profile
    from .rates import ErrorRates, error_rates, rates_for


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'policyclf.analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
