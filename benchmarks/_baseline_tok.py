"""The baseline's tokenizer: a module-level function, so a pickled pipeline can import it."""

from __future__ import annotations

import jieba

__all__ = ["jieba_tokenize"]


def jieba_tokenize(text: str) -> list[str]:
    """``jieba.lcut(text)`` (accurate mode, HMM on): what a user would pass as ``tokenizer=``."""
    return jieba.lcut(text)
