"""Shared test helpers."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from policyclf.resources import data_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@pytest.fixture()
def raw_taxonomy() -> dict[str, Any]:
    """The bundled taxonomy file as plain data (a fresh copy for each test to edit)."""
    return tomllib.loads(data_path("labels", "taxonomy.toml").read_text(encoding="utf-8"))


def add_international(raw: dict[str, Any], cues: list[str]) -> dict[str, Any]:
    """Add an 'international cooperation' category to a raw taxonomy (in place) and return it."""
    new = dict(raw["category"][0])
    new.update(
        id="international",
        name_zh="国际合作",
        name_en="International cooperation",
        definition="Cooperation with foreign partners.",
        subcategories=[{"id": "international.park", "name_zh": "合作园区", "name_en": "Parks"}],
        cues=cues,
        examples=[],
    )
    raw["category"].append(new)
    return raw
