"""Safe, atomic storage of a trained model as a folder of JSON and numeric arrays.

A saved model is a folder::

    <path>/manifest.json   format, versions, creation time, sha256 + size of every file, ``meta``
    <path>/arrays.npz      numeric and fixed-width unicode arrays (numpy ``.npy`` members)
    <path>/<extra files>   e.g. ``report.json``, ``report.md``, written verbatim

Loading reads JSON and plain arrays only: it never unpickles, imports or executes anything from
the folder, and it checks every listed file against the manifest's size and sha256 first.
Files in the folder that the manifest does not list are ignored (never read).

Saving is atomic: everything is written into a hidden sibling folder
(``.<name>.tmp-<pid>-<random>``), flushed to disk, then renamed onto the target. An interrupted
save leaves either the previous model or the new one at the target, never a half-written one.
The generic bundle layer (:func:`save_bundle`, :func:`load_bundle`) knows nothing about models;
:func:`save_model` and :func:`load_model` decide which arrays and metadata make up a
:class:`policyclf.Model` and attach its report. Storage sits above tagging: :mod:`policyclf.model`
never imports this module except in the ``Model.save`` shortcut, at call time.
"""

from __future__ import annotations

from .load import Bundle, load_bundle
from .manifest import (
    ARRAYS_NAME,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_NAME,
    MIN_FORMAT_VERSION,
    fingerprint,
    read_manifest,
)
from .models import MODEL_KIND, load_model, save_model
from .save import save_bundle

__all__ = [
    "ARRAYS_NAME",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "MIN_FORMAT_VERSION",
    "MODEL_KIND",
    "Bundle",
    "fingerprint",
    "load_bundle",
    "load_model",
    "read_manifest",
    "save_bundle",
    "save_model",
]
