"""Word tokenization of (normalised) Chinese policy text with jieba and a policy dictionary.

:func:`tokenize` is a plain module-level function, so it pickles by reference and can be
given to scikit-learn as ``tokenizer=``. Two interchangeable backends segment the text with
jieba's accurate mode (HMM on) and the same dictionary:

* ``rjieba`` -- a binding of jieba-rs, about 25x faster; the default when it is importable;
* ``jieba`` -- the reference Python implementation; the fallback.

Both give token-for-token identical output (tested). Two differences of jieba-rs are
neutralised before segmenting: it treats CJK extension and compatibility ideographs as Han
(jieba does not), and it keeps ASCII runs joined by ``-``, ``_`` or ``.`` as one token
(``2021-2025``) where jieba splits them. The dictionary total is also computed the same
way in both (jieba counts a duplicated dictionary line twice, jieba-rs once).

The backend is chosen by the environment variable ``POLICYCLF_TOKENIZER`` (``rjieba`` or
``jieba``, read once, on first use) or by :func:`set_backend`. The segmenter and the
dictionary load lazily on the first call, under a lock; after that no lock is taken.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import warnings
from collections.abc import Callable
from importlib.resources import files
from typing import Any

from policyclf.exceptions import PolicyclfError

__all__ = ["BACKENDS", "ENV_VAR", "backend", "policy_terms", "set_backend", "tokenize"]

ENV_VAR = "POLICYCLF_TOKENIZER"
"""Environment variable naming the backend: ``rjieba`` or ``jieba``."""

BACKENDS = ("rjieba", "jieba")
"""The supported backends, preferred first."""

_TERMS_FILE = "policy_terms.txt"

# --- input sanitising (identical for both backends) -----------------------------------------
# Lone surrogates cannot cross into Rust.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# Ideographs that jieba-rs puts in Han blocks but jieba (U+4E00-U+9FD5 only) does not: each is
# set apart by spaces, so both backends emit it as a token of its own.
_RARE_HAN_RE = re.compile("[\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
# jieba-rs keeps ASCII runs joined by "-", "_" or "." whole ("2021-2025", "a_b", "1.a") where
# jieba splits them ("2021", "-", "2025"): a space after such a symbol between two ASCII
# letters/digits makes both split alike. (Decimals such as "3.38" split too; bare numbers
# are dropped anyway.)
_JOINED_ASCII_RE = re.compile(r"(?<=[A-Za-z0-9])[-+#&_%.](?=[A-Za-z0-9])")
# One cheap scan (no look-around) telling whether any of the three rewrites is needed.
_NEEDS_SANITISING_RE = re.compile(
    "[\ud800-\udfff\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]"
    "|[A-Za-z0-9][-+#&_%.][A-Za-z0-9]"
)

# --- token filtering --------------------------------------------------------------------------
_WORD_CHAR_RE = re.compile(r"[^\W_]")  # a letter or a digit (any script)
_NUMBER_RE = re.compile(r"[\d.,% ]+")  # "2023", "3.38%", "1,000"
_CACHE_LIMIT = 500_000
# token -> what tokenize emits for it ("" = dropped); grows with the vocabulary seen.
_token_cache: dict[str, str] = {}

# --- backend state ------------------------------------------------------------------------------
_lock = threading.Lock()
_cut: Callable[[str], list[str]] | None = None
_active: str | None = None
_requested: str | None = None  # set by set_backend; None = environment / default
_segmenters: dict[str, Callable[[str], list[str]]] = {}


def policy_terms() -> list[tuple[str, int]]:
    """The policy user dictionary, ``(word, frequency)`` in file order.

    Read from ``policyclf/data/policy_terms.txt`` (jieba user-dictionary format ``word freq``;
    ``#`` starts a comment). Raises :class:`~policyclf.exceptions.PolicyclfError` naming the
    line when an entry is malformed.
    """
    resource = files("policyclf") / "data" / _TERMS_FILE
    terms: list[tuple[str, int]] = []
    for number, raw in enumerate(resource.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) <= 0:
            raise PolicyclfError(
                f"policyclf/data/{_TERMS_FILE} line {number}: expected 'word frequency' with a "
                f"positive integer frequency, got {raw!r}"
            )
        terms.append((parts[0], int(parts[1])))
    return terms


def _rjieba_class() -> Any:
    """rjieba's ``Jieba`` class, without the instance ``import rjieba`` builds.

    ``rjieba/__init__.py`` builds a module-level ``Jieba`` with the whole default dictionary
    (about 0.15-0.2 s, a quarter of a cold start) that policyclf never uses: it keeps its own
    instance with the policy terms. So the compiled module ``rjieba.rjieba`` is loaded on its
    own and registered under its name, so a later ``import rjieba`` elsewhere reuses it. Where
    that layout is not found (another rjieba version), the package is imported as usual.
    """
    import sys

    if "rjieba" in sys.modules:  # imported already: nothing left to save
        return sys.modules["rjieba"].Jieba
    try:
        compiled = _load_rjieba_extension()
    except Exception:  # any surprise in the shortcut: the usual import decides
        compiled = None
    if compiled is not None and hasattr(compiled, "Jieba"):
        return compiled.Jieba
    import rjieba

    return rjieba.Jieba


def _load_rjieba_extension() -> Any:
    """The module ``rjieba.rjieba`` (loaded once and registered), or None if not found."""
    import importlib.machinery
    import importlib.util
    import sys

    if "rjieba.rjieba" in sys.modules:
        return sys.modules["rjieba.rjieba"]
    spec = importlib.util.find_spec("rjieba")  # finds the package without running it
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "rjieba" + suffix)
            if not os.path.isfile(path):
                continue
            loader = importlib.machinery.ExtensionFileLoader("rjieba.rjieba", path)
            ext_spec = importlib.util.spec_from_file_location("rjieba.rjieba", path, loader=loader)
            if ext_spec is None:
                continue
            module = importlib.util.module_from_spec(ext_spec)
            sys.modules["rjieba.rjieba"] = module
            try:
                loader.exec_module(module)
            except BaseException:
                del sys.modules["rjieba.rjieba"]
                raise
            return module
    return None


def _make_rjieba() -> Callable[[str], list[str]]:
    segmenter = _rjieba_class()()
    for word, freq in policy_terms():
        segmenter.add_word(word, freq, None)
    cut: Callable[[str], list[str]] = segmenter.cut
    return cut


def _make_jieba() -> Callable[[str], list[str]]:
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    segmenter: Any = jieba.Tokenizer()  # our own instance: the global jieba.dt is untouched
    segmenter.initialize()
    for word, freq in policy_terms():
        segmenter.add_word(word, freq)
    # jieba-rs' total is the sum over distinct words; jieba's initial total counts a
    # duplicated dictionary line twice and add_word adds without removing the old frequency.
    segmenter.total = sum(segmenter.FREQ.values())

    def cut(text: str) -> list[str]:
        return list(segmenter.cut(text, HMM=True))

    return cut


_FACTORIES: dict[str, Callable[[], Callable[[str], list[str]]]] = {
    "rjieba": _make_rjieba,
    "jieba": _make_jieba,
}


def _rjieba_available() -> bool:
    try:
        _rjieba_class()
    except ImportError:
        return False
    return True


def _choose() -> str:
    """The backend to load: set_backend's choice, else the environment, else the default."""
    if _requested is not None:
        return _requested
    wanted = os.environ.get(ENV_VAR, "").strip().lower()
    if wanted and wanted not in BACKENDS:
        raise PolicyclfError(
            f"environment variable {ENV_VAR}={os.environ[ENV_VAR]!r}: "
            f"expected one of {', '.join(BACKENDS)}"
        )
    if wanted == "jieba":
        return "jieba"
    if _rjieba_available():
        return "rjieba"
    if wanted == "rjieba":
        warnings.warn(
            f"{ENV_VAR}=rjieba but rjieba cannot be imported; using jieba (same tokens, slower)",
            RuntimeWarning,
            stacklevel=4,
        )
    return "jieba"


def _load() -> Callable[[str], list[str]]:
    global _cut, _active
    with _lock:
        if _cut is None:
            name = _choose()
            if name not in _segmenters:
                _segmenters[name] = _FACTORIES[name]()
            _active = name
            _cut = _segmenters[name]
        return _cut


def backend() -> str:
    """Name of the backend in use (``"rjieba"`` or ``"jieba"``); loads it if needed."""
    _load()
    assert _active is not None
    return _active


def set_backend(name: str | None) -> None:
    """Use backend ``name`` (``"rjieba"`` or ``"jieba"``) from now on, in this process.

    ``None`` goes back to the environment variable / default choice. The segmenter loads on
    the next :func:`tokenize` call; segmenters already loaded are kept for switching back.
    Raises :class:`~policyclf.exceptions.PolicyclfError` for an unknown name or when
    ``rjieba`` is asked for but cannot be imported.
    """
    global _cut, _active, _requested
    if name is not None:
        name = name.strip().lower()
        if name not in BACKENDS:
            raise PolicyclfError(f"unknown tokenizer backend {name!r}: expected one of {BACKENDS}")
        if name == "rjieba" and not _rjieba_available():
            raise PolicyclfError("tokenizer backend 'rjieba' requested but rjieba is not installed")
    with _lock:
        _requested = name
        _cut = None
        _active = None


def _sanitise(text: str) -> str:
    if _NEEDS_SANITISING_RE.search(text) is None:
        return text
    if _SURROGATE_RE.search(text) is not None:
        text = _SURROGATE_RE.sub(" ", text)
    if _RARE_HAN_RE.search(text) is not None:
        text = _RARE_HAN_RE.sub(r" \g<0> ", text)
    if _JOINED_ASCII_RE.search(text) is not None:
        text = _JOINED_ASCII_RE.sub(r"\g<0> ", text)
    return text


def _classify(token: str) -> str:
    """What a raw segmenter token becomes: lower-cased, or "" to drop it."""
    # No letter or digit (whitespace, punctuation, symbols), or a bare number: dropped.
    dropped = _WORD_CHAR_RE.search(token) is None or _NUMBER_RE.fullmatch(token) is not None
    kept = "" if dropped else token.lower()
    if len(_token_cache) >= _CACHE_LIMIT:
        _token_cache.clear()
    _token_cache[token] = kept
    return kept


def segment(text: str) -> list[str]:
    """The segmenter's raw tokens of ``text`` (sanitised first), before :func:`token_form`.

    ``tokenize(t) == [f for f in map(token_form, segment(t)) if f]``. Texts joined with
    ``"\\n"`` segment as each text alone with a ``"\\n"`` token between them (the segmenters
    work on runs of Chinese and Latin characters and digits; a line break ends a run), which
    lets a batch of normalised texts (they never contain a line break) be segmented in one call.
    """
    if not text:
        return []
    cut = _cut if _cut is not None else _load()
    return cut(_sanitise(text))


def token_form(token: str) -> str:
    """What :func:`tokenize` makes of a raw token: lower-cased, or ``""`` when dropped."""
    kept = _token_cache.get(token)
    return _classify(token) if kept is None else kept


def tokenize(text: str) -> list[str]:
    """Split ``text`` into word tokens for the classifier.

    jieba accurate mode (HMM on) with the policy dictionary (:func:`policy_terms`); then
    whitespace, punctuation/symbol-only tokens and bare numbers (``"2023"``, ``"3.38%"``,
    ``"1,000"``) are dropped and Latin letters are lower-cased. Chinese numerals stay inside
    words as jieba gives them (``"十四五"``). ``text`` should already be normalised with
    :func:`policyclf.text.normalize`; any ``str`` is accepted and this never raises.
    """
    if not text:
        return []
    cut = _cut if _cut is not None else _load()
    raw = cut(_sanitise(text))
    kept = list(map(_token_cache.get, raw))
    if None in kept:
        kept = [_classify(tok) if k is None else k for tok, k in zip(raw, kept, strict=True)]
    return list(filter(None, kept))
