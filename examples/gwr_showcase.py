"""Showcase: the policy-measure mix of China's Government Work Reports, 1954–2025, by year.

Reads the 52 reports from ``../shared/pool/government_work_reports.jsonl`` (beside the
repository) at run time, tags every sentence with the bundled default model, profiles the mix
by year (shares corrected for the model's errors, 95% bootstrap intervals) and by five-year
period, and saves the figure and the table of shares (numbers only, no text of the reports):

    python examples/gwr_showcase.py            # writes docs/gwr_mix.png and docs/gwr_mix.csv

It also prints the counts the README quotes for the history check, per period: sentences that
name maker spaces or incubators (众创, 孵化, 创客) and how many are tagged platform; sentences
about research-management reform (科研…管理/经费/评价/项目, 科技体制改革, 揭榜挂帅, 包干制)
and how many are tagged governance; the raw shares of talent and governance.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path

import policyclf
from policyclf.persistence import fingerprint

ROOT = Path(__file__).resolve().parents[1]
POOL = ROOT.parent / "shared" / "pool" / "government_work_reports.jsonl"

MAKER = re.compile("众创|孵化|创客")
RESEARCH_MGMT = re.compile(
    "科研.{0,12}(?:管理|经费|评价|项目)|科技.{0,6}体制.{0,4}改革|揭榜挂帅|包干制"
)


def period(year: int) -> str:
    if year < 1978:
        return "1954–77"
    start = 1978 + 5 * ((year - 1978) // 5)
    return f"{start}–{str(start + 4)[2:]}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None, help="a model folder (default: the bundled one)")
    ap.add_argument("--out", default=str(ROOT / "docs"), help="where to write the figure")
    args = ap.parse_args(argv)
    if not POOL.is_file():
        print(f"{POOL} is not on this machine; nothing to do", file=sys.stderr)
        return 1
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model = policyclf.load(args.model)
    fp = fingerprint(args.model or policyclf.default_model_path())
    tagged = model.tag_corpus(POOL, unit="sentence", id_col="id")
    tagged["period"] = [period(int(y)) for y in tagged["year"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        by_year = model.profile(tagged, by="year")
        by_period = model.profile(tagged, by="period")

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 8.5), layout="constrained")
    by_year.plot(kind="line", ax=top, title="Policy-measure mix of the Government Work Reports")
    by_period.plot(kind="bar", ax=bottom, stacked=False, title="… by five-year period")
    bottom.set_xlabel(
        f"five-year period  ·  policyclf {policyclf.__version__}, model {fp[:12]}, "
        f"{'adjusted (' + by_year.method + ')' if by_year.method else 'raw'} shares of "
        "sentences, 95% bootstrap intervals",
        fontsize=8,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "gwr_mix.png", dpi=110)
    by_year.to_csv(out / "gwr_mix.csv")
    print(f"model fingerprint {fp}")
    print(by_year.summary())
    print(f"wrote {out / 'gwr_mix.png'} and {out / 'gwr_mix.csv'}")

    # history check: counts and shares only (no text is printed)
    ok = tagged[tagged.error == ""]
    has = ok["labels"].str.split(";")
    print(
        "\nperiod    sentences  maker/incubator→platform  talent%  governance%  "
        "research-mgmt sentences→governance"
    )
    for p, g in ok.groupby("period", sort=True):
        labs = has.loc[g.index]
        maker = g["text"].str.contains(MAKER)
        rm = g["text"].str.contains(RESEARCH_MGMT)
        maker_p = int((maker & labs.map(lambda x: "platform" in x)).sum())
        rm_g = int((rm & labs.map(lambda x: "governance" in x)).sum())
        talent = float(labs.map(lambda x: "talent" in x).mean())
        gov = float(labs.map(lambda x: "governance" in x).mean())
        print(
            f"{p:9} {len(g):9}  {maker_p:3} of {int(maker.sum()):3}"
            f"{'':16}{talent:6.1%}  {gov:10.1%}  {rm_g:3} of {int(rm.sum()):3}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
