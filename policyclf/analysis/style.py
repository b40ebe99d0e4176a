"""Colours and names shared by the plots and the HTML views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["PALETTE", "display_names", "label_colors", "tint"]

#: Okabe–Ito colours (distinguishable with colour-vision deficiencies), in label order.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # green
    "#CC79A7",  # purple-pink
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",
)


def label_colors(labels: Sequence[str]) -> dict[str, str]:
    """A colour per label, in order (the palette repeats after eight labels)."""
    return {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(labels)}


def tint(color: str, alpha: float = 0.28) -> str:
    """``#RRGGBB`` as a CSS ``rgba()`` with ``alpha``."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def display_names(
    labels: Sequence[str], names: Mapping[str, tuple[str, str]], chinese: bool
) -> dict[str, str]:
    """Each label's Chinese name (``chinese``) or English name; the id when unnamed."""
    out = {}
    for k in labels:
        zh, en = names.get(k, (k, k))
        out[k] = (zh or k) if chinese else (en or k)
    return out
