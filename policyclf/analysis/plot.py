"""Plots of a :class:`~policyclf.analysis.profiling.Profile` (matplotlib, the ``plot`` extra).

Label names are shown in Chinese when a CJK font is installed (Noto Sans CJK, Source Han Sans,
WenQuanYi, SimHei, Microsoft YaHei, PingFang…; none is shipped). Without one, the English
names are used and a warning says so (group names in Chinese would not render either).
"""

from __future__ import annotations

import functools
import os
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .style import display_names, label_colors

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .profiling import Profile

__all__ = ["CJK_FONTS", "KINDS", "NoCJKFontWarning", "find_cjk_font", "plot_profile"]

#: The plot kinds.
KINDS = ("bar", "heatmap", "line")

#: Font families tried, in order, for Chinese text.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "STHeiti",
    "Hiragino Sans GB",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "AR PL UMing CN",
    "Arial Unicode MS",
)
# file-name fragments of CJK fonts, for fonts matplotlib's font cache has not seen yet
_CJK_FILE_HINTS = (
    "notosanscjk",
    "notoserifcjk",
    "sourcehansans",
    "wqy",
    "simhei",
    "msyh",
    "pingfang",
    "stheiti",
    "uming",
    "ukai",
    "droidsansfallback",
)


class NoCJKFontWarning(UserWarning):
    """No font that can show Chinese was found; labels are shown in English."""


def _require_matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError('plotting needs matplotlib: pip install "policyclf[plot]"') from exc
    return matplotlib


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """The name of an installed font family that shows Chinese, or None.

    Looks in matplotlib's font list for :data:`CJK_FONTS`, then among the system's font files
    for known CJK font files that the font cache has not registered yet (and registers them).
    """
    _require_matplotlib()
    from matplotlib import font_manager

    def known() -> set[str]:
        return {f.name for f in font_manager.fontManager.ttflist}

    names = known()
    for name in CJK_FONTS:
        if name in names:
            return name
    try:
        files = font_manager.findSystemFonts()
    except Exception:  # pragma: no cover - odd font folders
        files = []
    for path in sorted(files):
        base = os.path.basename(path).lower().replace("-", "").replace("_", "")
        if any(h in base for h in _CJK_FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except Exception:  # pragma: no cover - unreadable font file
                continue
    names = known()
    for name in CJK_FONTS:
        if name in names:
            return name
    return None


def _has_cjk(s: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in s)


def plot_profile(
    profile: Profile,
    kind: str = "bar",
    *,
    ax: Axes | None = None,
    names: str = "auto",
    stacked: bool = True,
    intervals: bool = True,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Axes:
    """Plot a profile; returns the matplotlib Axes.

    Args:
        kind: ``"bar"`` — one stacked bar per group, a segment per label (``stacked=False``:
            side by side), with interval error bars; ``"heatmap"`` — groups × labels,
            annotated with the shares; ``"line"`` — one line per label over an ordered group
            such as year, with interval bands (the ``(missing)`` group is left out).
        ax: draw into this Axes (default: a new figure).
        names: ``"auto"`` (Chinese names when a CJK font is installed, else English with a
            :class:`NoCJKFontWarning`), ``"zh"``, ``"en"`` or ``"id"``.
        intervals: draw the bootstrap intervals.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if names not in ("auto", "zh", "en", "id"):
        raise ValueError(f"names must be 'auto', 'zh', 'en' or 'id', got {names!r}")
    _require_matplotlib()
    font = find_cjk_font()
    groups_cjk = any(_has_cjk(str(g)) for g in profile.groups)
    if names == "auto":
        names = "zh" if font else "en"
        if font is None:
            warnings.warn(
                "no font that shows Chinese was found (install e.g. fonts-noto-cjk or "
                "fonts-wqy-microhei); label names are shown in English"
                + (", and Chinese group names will not render" if groups_cjk else ""),
                NoCJKFontWarning,
                stacklevel=3,
            )
    elif font is None and (names == "zh" or groups_cjk):
        warnings.warn(
            "no font that shows Chinese was found; Chinese text in the plot will not render",
            NoCJKFontWarning,
            stacklevel=3,
        )
    family = [font, "DejaVu Sans"] if font else None
    if names == "id":
        shown = {k: k for k in profile.labels}
    else:
        shown = display_names(profile.labels, profile.names, chinese=names == "zh")
    if ax is None:
        import matplotlib.pyplot as plt

        n_groups = len(profile.groups)
        wide = 10.0 if kind == "line" else min(16.0, 1.0 + 0.45 * n_groups)
        default = (max(6.5, wide), 4.5)
        _, ax = plt.subplots(figsize=figsize or default, layout="constrained")
    draw = {"bar": _bar, "heatmap": _heatmap, "line": _line}[kind]
    draw(profile, ax, shown, family, stacked=stacked, intervals=intervals)
    what = "adjusted share" if profile.adjusted else "share"
    ax.set_title(
        title if title is not None else f"Policy mix by {profile.by or 'corpus'}",
        fontfamily=family,
    )
    if kind != "heatmap":
        note = f"{what} of {profile.unit}s carrying the measure" + (
            f"\n({profile.level:.0%} intervals)" if intervals else ""
        )
        ax.set_ylabel(note, fontfamily=family)
    return ax


def _group_labels(profile: Profile) -> list[str]:
    return [str(g) for g in profile.groups]


def _font(family: list[str] | None) -> Any:
    from matplotlib.font_manager import FontProperties

    return FontProperties(family=family) if family else None


def _percent_decimals(locs: Any) -> int:
    """The fewest decimals (0–3) that show every tick step of ``locs`` (fractions) exactly."""
    steps = np.diff(np.sort(np.asarray(locs, dtype=float))) * 100
    step = float(steps[steps > 1e-9].min()) if (steps > 1e-9).any() else 1.0
    for decimals in range(3):
        if abs(round(step, decimals) - step) < 1e-6:
            return decimals
    return 3


def _percent_axis(axis: Any) -> None:
    """Percent tick labels with as many decimals as the tick step needs (0.5%, not 0% twice)."""
    from matplotlib.ticker import FuncFormatter

    def label(x: float, _pos: int | None) -> str:
        return f"{x * 100:.{_percent_decimals(axis.get_majorticklocs())}f}%"

    axis.set_major_formatter(FuncFormatter(label))


def _bar(
    profile: Profile,
    ax: Axes,
    shown: dict[str, str],
    family: list[str] | None,
    *,
    stacked: bool,
    intervals: bool,
) -> None:
    value = profile.wide()
    low, high = profile.wide("ci_low"), profile.wide("ci_high")
    colors = label_colors(profile.labels)
    x = np.arange(len(value.index))
    k = len(profile.labels)
    bottom = np.zeros(len(x))
    width = 0.7 if stacked else 0.8 / max(k, 1)
    for j, lab in enumerate(profile.labels):
        v = np.nan_to_num(value[lab].to_numpy(dtype=float))
        pos = x if stacked else x - 0.4 + width * (j + 0.5)
        ax.bar(
            pos,
            v,
            width,
            bottom=bottom if stacked else None,
            color=colors[lab],
            label=shown[lab],
            edgecolor="white",
            linewidth=0.5,
        )
        if intervals:
            lo = np.nan_to_num(low[lab].to_numpy(dtype=float))
            hi = np.nan_to_num(high[lab].to_numpy(dtype=float))
            top = (bottom if stacked else 0) + v
            err = np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)])
            ax.errorbar(
                pos + (width * 0.25 * (j - (k - 1) / 2) / max(k, 1) if stacked else 0),
                top,
                yerr=err,
                fmt="none",
                ecolor="#333333",
                elinewidth=0.8,
                capsize=2,
                alpha=0.8,
            )
        if stacked:
            bottom = bottom + v
    labels = _group_labels(profile)
    ax.set_xticks(
        x,
        labels,
        fontfamily=family,
        rotation=45 if len(x) > 8 or max(map(len, labels), default=0) > 8 else 0,
        ha="right" if len(x) > 8 else "center",
    )
    ax.set_xlabel(profile.by or "", fontfamily=family)
    _percent_axis(ax.yaxis)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(prop=_font(family), loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _heatmap(
    profile: Profile,
    ax: Axes,
    shown: dict[str, str],
    family: list[str] | None,
    *,
    stacked: bool,
    intervals: bool,
) -> None:
    value = profile.wide().T  # labels × groups
    data = value.to_numpy(dtype=float)
    image = ax.imshow(
        data,
        aspect="auto",
        cmap="Blues",
        vmin=0,
        vmax=max(float(np.nanmax(data)) if np.isfinite(data).any() else 1.0, 1e-9),
    )
    groups = _group_labels(profile)
    ax.set_xticks(
        np.arange(len(groups)),
        groups,
        fontfamily=family,
        rotation=45 if len(groups) > 8 else 0,
        ha="right" if len(groups) > 8 else "center",
    )
    ax.set_yticks(
        np.arange(len(profile.labels)), [shown[k] for k in profile.labels], fontfamily=family
    )
    ax.set_xlabel(profile.by or "", fontfamily=family)
    if len(groups) <= 24:
        top = np.nanmax(data) if np.isfinite(data).any() else 1.0
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                v = data[i, j]
                if np.isfinite(v):
                    ax.text(
                        j,
                        i,
                        f"{v:.0%}",
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if v > 0.6 * top else "#222222",
                    )
    bar = ax.figure.colorbar(image, ax=ax)
    _percent_axis(bar.ax.yaxis)
    what = "adjusted share" if profile.adjusted else "share"
    bar.set_label(f"{what} of {profile.unit}s", fontfamily=family)


def _line(
    profile: Profile,
    ax: Axes,
    shown: dict[str, str],
    family: list[str] | None,
    *,
    stacked: bool,
    intervals: bool,
) -> None:
    from .profiling import MISSING_GROUP

    value = profile.wide()
    if MISSING_GROUP in value.index:
        warnings.warn(
            f"line plot: the {MISSING_GROUP} group has no place on an ordered axis and is left out",
            UserWarning,
            stacklevel=4,
        )
    keep = [g for g in value.index if g != MISSING_GROUP]
    value = value.loc[keep]
    low, high = profile.wide("ci_low").loc[keep], profile.wide("ci_high").loc[keep]
    numeric = all(isinstance(g, (int, float)) and not isinstance(g, bool) for g in keep)
    x = np.array(keep, dtype=float) if numeric else np.arange(len(keep), dtype=float)
    colors = label_colors(profile.labels)
    for lab in profile.labels:
        v = value[lab].to_numpy(dtype=float)
        ax.plot(x, v, marker="o", markersize=3, linewidth=1.6, color=colors[lab], label=shown[lab])
        if intervals:
            ax.fill_between(
                x,
                low[lab].to_numpy(dtype=float),
                high[lab].to_numpy(dtype=float),
                color=colors[lab],
                alpha=0.15,
                linewidth=0,
            )
    if not numeric:
        ax.set_xticks(
            x, [str(g) for g in keep], fontfamily=family, rotation=45 if len(keep) > 8 else 0
        )
    ax.set_xlabel(profile.by or "", fontfamily=family)
    _percent_axis(ax.yaxis)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(prop=_font(family), loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
