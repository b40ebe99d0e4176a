"""Profile plots with the Agg backend: what the Axes hold, not pixels."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import policyclf
from policyclf.analysis import plot as plotmod
from policyclf.analysis.profiling import Profile

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402


@pytest.fixture(scope="module")
def prof(model: policyclf.Model, tagged: pd.DataFrame) -> Profile:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return model.profile(tagged, by="year", n_boot=100, adjust=True)


@pytest.fixture(autouse=True)
def _close() -> object:
    yield
    plt.close("all")


def _legend(ax: object) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]  # type: ignore[attr-defined]


def test_stacked_bar_has_a_segment_per_group_and_label(prof: Profile) -> None:
    ax = prof.plot(kind="bar", names="en")
    k, g = len(prof.labels), len(prof.groups)
    assert len(ax.patches) == k * g
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2015", "2016", "2017"]
    assert _legend(ax) == [prof.names[lab][1] for lab in prof.labels]
    # stacked: each group's segments sit on top of each other and add up to the group's sum
    wide = prof.wide().fillna(0)
    for i, group in enumerate(prof.groups):
        tops = max(p.get_y() + p.get_height() for p in ax.patches[i::g])
        assert tops == pytest.approx(wide.loc[group].sum())
    assert len(ax.containers) >= k  # bars + error bars
    assert "adjusted share" in ax.get_ylabel()


def test_side_by_side_bars_and_no_intervals(prof: Profile) -> None:
    ax = prof.plot(kind="bar", stacked=False, intervals=False, names="id")
    assert all(p.get_y() == 0 for p in ax.patches)
    assert _legend(ax) == list(prof.labels)
    assert not any(type(c).__name__ == "ErrorbarContainer" for c in ax.containers)


def test_line_plot_has_one_line_and_band_per_label(prof: Profile) -> None:
    ax = prof.plot(kind="line", names="en")
    assert len(ax.get_lines()) == len(prof.labels)
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == len(prof.labels)
    xs = ax.get_lines()[0].get_xdata()
    assert list(xs) == [2015, 2016, 2017]


def test_heatmap_shows_every_cell(prof: Profile) -> None:
    ax = prof.plot(kind="heatmap", names="en")
    images = [a for a in ax.get_images() if isinstance(a, AxesImage)]
    assert len(images) == 1 and images[0].get_array().shape == (len(prof.labels), 3)
    assert len(ax.texts) == len(prof.labels) * 3
    assert [t.get_text() for t in ax.get_yticklabels()] == [prof.names[k][1] for k in prof.labels]


def test_chinese_names_when_a_cjk_font_is_installed(prof: Profile) -> None:
    font = plotmod.find_cjk_font()
    if font is None:
        pytest.skip("no CJK font on this machine (the fallback is tested below)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = prof.plot(kind="bar")
    assert _legend(ax) == [prof.names[k][0] for k in prof.labels]
    assert font in ax.get_legend().get_texts()[0].get_fontfamily()


def test_without_a_cjk_font_english_names_and_a_warning(
    prof: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plotmod, "find_cjk_font", lambda: None)
    with pytest.warns(plotmod.NoCJKFontWarning, match="English"):
        ax = prof.plot(kind="line")
    assert _legend(ax) == [prof.names[k][1] for k in prof.labels]


def test_bad_kind_and_names(prof: Profile) -> None:
    with pytest.raises(ValueError, match="kind"):
        prof.plot(kind="pie")
    with pytest.raises(ValueError, match="names"):
        prof.plot(names="fr")


def test_draws_into_a_given_axes_and_saves(prof: Profile, tmp_path: object) -> None:
    fig, ax = plt.subplots()
    out = prof.plot(kind="bar", ax=ax, title="mix")
    assert out is ax and ax.get_title() == "mix"
    fig.savefig(tmp_path / "mix.svg")  # type: ignore[operator]


def test_percent_ticks_of_small_shares_are_distinct() -> None:
    # shares of a few percent: ticks every 0.5% must not all round to whole percents
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0.0, 0.03])
    ax.set_ylim(0, 0.03)
    plotmod._percent_axis(ax.yaxis)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert len(labels) == len(set(labels)) > 3
    assert labels[:3] == ["0.0%", "0.5%", "1.0%"]
    assert plotmod._percent_decimals([0.0, 0.2, 0.4]) == 0
    assert plotmod._percent_decimals([0.0, 0.0025, 0.005]) == 2
