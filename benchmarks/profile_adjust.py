"""Do corrected shares beat raw counts? Label shares of held-out coded documents.

For every held-out set of coded sentences, the model tags the sentences and three estimates of
each label's share are compared with the share the coders gave:

* **raw** — classify and count: the share of sentences the model labels;
* **acc** — adjusted classify and count, ``(raw - fpr) / (tpr - fpr)`` clipped to [0, 1], with
  the true/false-positive rates of the model's grouped cross-validation (its report);
* **probability** — the mean calibrated probability.

Sets (each read at run time; nothing of the pool's text is written anywhere):

* ``pool test`` — the coded sentences of the held-out pool documents
  (``labels/pool/sentences.csv``, split ``test``; never used in training or design), scored per
  document and per collection (Government Work Reports, central, Shandong);
* ``pool train`` — the other coded pool documents, **only** when the model was trained without
  them (the v0.1 default model): a second, independent set;
* ``held-out sentences`` — ``tests/data/heldout_sentences.jsonl`` (90 sentences) as one set.

Errors are absolute differences of shares in percentage points, averaged over (group, label);
``coverage`` is how often the coded share lies inside the 95% bootstrap interval of
``policyclf``'s profile (documents, then sentences, resampled; for acc also the error rates).

Usage: ``python benchmarks/profile_adjust.py [--model DIR] [--pool ../shared/pool]``; writes
``benchmarks/PROFILE.md`` and ``benchmarks/profile_adjust.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import policyclf  # noqa: E402
from policyclf.analysis.profiling import profile_tagged  # noqa: E402
from policyclf.analysis.rates import rates_for  # noqa: E402

POOL_LABELS = ROOT / "labels" / "pool" / "sentences.csv"
POOL_FILES = ("policies.jsonl", "government_work_reports.jsonl")


def _pool_dir(arg: str | None) -> Path | None:
    for c in (arg, ROOT.parent / "shared" / "pool"):
        if c and all((Path(c) / n).is_file() for n in POOL_FILES):
            return Path(c)
    return None


def _pool_texts(pool: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in POOL_FILES:
        with (pool / name).open(encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                out[rec["id"]] = rec["text"]
    return out


def _collection(doc: str) -> str:
    return "GWR" if doc.startswith("gwr-") else doc.split("-")[0]


def pool_units(split: str, texts: dict[str, str], labels: tuple[str, ...]) -> pd.DataFrame:
    """The coded sentences of one split: doc, collection, text (in memory only), gold labels."""
    rows = []
    with POOL_LABELS.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["split"] != split:
                continue
            text = texts[r["doc"]][int(r["start"]) : int(r["end"])]
            if hashlib.sha1(text.encode("utf-8")).hexdigest()[:16] != r["sha1"]:
                raise SystemExit(f"{POOL_LABELS}: span {r['doc']}:{r['start']}-{r['end']} changed")
            gold = {x for x in r["labels"].split(";") if x}
            rows.append(
                {
                    "doc": r["doc"],
                    "collection": _collection(r["doc"]),
                    "text": text,
                    **{f"gold_{k}": k in gold for k in labels},
                }
            )
    return pd.DataFrame(rows)


def heldout_units(labels: tuple[str, ...]) -> pd.DataFrame:
    items = [json.loads(x) for x in (ROOT / "tests/data/heldout_sentences.jsonl").open()]
    return pd.DataFrame(
        [
            {"doc": "held-out", "collection": "held-out", "text": d["text"]}
            | {f"gold_{k}": k in d["labels"] for k in labels}
            for d in items
        ]
    )


def tag(model: policyclf.Model, units: pd.DataFrame) -> pd.DataFrame:
    tags = model.tag_many(units["text"].tolist(), evidence=False)
    out = units.copy()
    out["labels"] = [";".join(t.labels) for t in tags]
    for k in model.labels:
        out[f"score_{k}"] = [t.scores[k] for t in tags]
    out["error"] = ""
    return out


def variants(model: policyclf.Model) -> dict[str, tuple[str | None, Any]]:
    """name -> (method, error rates): raw, ACC with the cross-validation's sentence rates,
    ACC with the rates of the coded pool sentences only (when the model was trained on them:
    rates measured on real documents), averaged probabilities."""
    labels = tuple(model.labels)
    out: dict[str, tuple[str | None, Any]] = {
        "raw": (None, None),
        "acc": ("acc", rates_for(model.report, labels, "sentence")),
    }
    with contextlib.suppress(ValueError):  # no pool sentences in the model's training data
        out["acc (pool rates)"] = (
            "acc",
            rates_for(model.report, labels, "sentence", kinds=["pool sentences"]),
        )
    out["probability"] = ("probability", None)
    return out


def evaluate(model: policyclf.Model, tagged: pd.DataFrame, by: str, n_boot: int) -> dict[str, Any]:
    """Share errors of each variant per group of ``by``, and interval coverage."""
    labels = tuple(model.labels)
    names = {c.id: (c.name_zh, c.name_en) for c in model.taxonomy.categories}
    gold = tagged.groupby(by)[[f"gold_{k}" for k in labels]].mean()
    gold.columns = list(labels)
    res: dict[str, Any] = {"groups": len(gold), "sentences": len(tagged), "methods": {}}
    for name, (method, rates) in variants(model).items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            prof = profile_tagged(
                tagged,
                labels,
                by=by,
                unit="sentence",
                method=method,
                rates=rates,
                names=names,
                n_boot=n_boot,
                seed=0,
                level=0.95,
                model_info={},
            )
        est = prof.wide("adjusted_share" if method else "share")
        low, high = prof.wide("ci_low"), prof.wide("ci_high")
        g = gold.reindex(index=est.index, columns=est.columns)
        err = (est - g).abs()
        inside = (low <= g + 1e-12) & (g <= high + 1e-12)
        res["methods"][name] = {
            "mae_pp": float(100 * err.to_numpy().mean()),
            "per_label_mae_pp": {k: float(100 * err[k].mean()) for k in labels},
            "coverage": float(inside.to_numpy().mean()),
            "mean_interval_pp": float(100 * (high - low).to_numpy().mean()),
        }
    res["gold_mean_share"] = {k: float(gold[k].mean()) for k in labels}
    return res


def trained_on_pool(model: policyclf.Model) -> bool:
    sources = (model.report.get("data") or {}).get("sources") or []
    return any("pool" in str(s.get("source", "")) for s in sources)


def fingerprint(model_dir: str | None) -> str:
    from policyclf.persistence import fingerprint as fp

    return fp(model_dir or policyclf.default_model_path())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--pool", default=None)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--out", default=str(ROOT / "benchmarks"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    model = policyclf.load(args.model)
    labels = tuple(model.labels)
    results: dict[str, Any] = {
        "model": {
            "path": args.model or "default",
            "fingerprint": fingerprint(args.model),
            "created": model.metadata.get("created"),
            "trained_on_pool": trained_on_pool(model),
        },
        "rates": rates_for(model.report, labels, "sentence").as_dict(),
        "rates_source": rates_for(model.report, labels, "sentence").source,
        "sets": {},
    }
    pool = _pool_dir(args.pool)
    if not POOL_LABELS.is_file():
        results["pool"] = f"no coded pool labels ({POOL_LABELS.relative_to(ROOT)}): awaits the data"
    elif pool is None:
        results["pool"] = "the pool (../shared/pool) is not on this machine"
    else:
        texts = _pool_texts(pool)
        splits = ["test"] + ([] if results["model"]["trained_on_pool"] else ["train"])
        for split in splits:
            tagged = tag(model, pool_units(split, texts, labels))
            results["sets"][f"pool {split}: per document"] = evaluate(
                model, tagged, "doc", args.n_boot
            )
            results["sets"][f"pool {split}: per collection"] = evaluate(
                model, tagged, "collection", args.n_boot
            )
    tagged = tag(model, heldout_units(labels))
    results["sets"]["held-out sentences (one set)"] = evaluate(model, tagged, "doc", args.n_boot)
    results["seconds"] = round(time.perf_counter() - t0, 1)
    out = Path(args.out)
    (out / "profile_adjust.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "PROFILE.md").write_text(report(results, labels), encoding="utf-8")
    print(report(results, labels))
    return 0


def report(r: dict[str, Any], labels: tuple[str, ...]) -> str:
    m = r["model"]
    lines = [
        "# Corrected label shares: do they beat raw counts?",
        "",
        "Generated by `python benchmarks/profile_adjust.py` "
        f"({r['seconds']} s). Model: `{m['path']}`, fingerprint `{m['fingerprint'][:16]}…` "
        f"(created {m['created']}; {'trained with' if m['trained_on_pool'] else 'trained without'} "
        "the coded pool sentences).",
        "",
        "Mean absolute error of each label's share of sentences, in percentage points (pp), "
        "against the coders' share, averaged over groups and labels; coverage = share of "
        "(group, label) cells whose coded share lies inside the 95% bootstrap interval.",
        "",
    ]
    if "pool" in r:
        lines += [f"**Pool:** {r['pool']}.", ""]
    names = list(next(iter(r["sets"].values()))["methods"])
    lines += [
        "| set | groups | sentences | " + " | ".join(f"{n} MAE" for n in names) + " |",
        "| --- | ---: | ---: |" + " ---: |" * len(names),
    ]
    for name, s in r["sets"].items():
        ms = s["methods"]
        cells = [f"{ms[n]['mae_pp']:.2f}" for n in names]
        lines.append(f"| {name} | {s['groups']} | {s['sentences']} | " + " | ".join(cells) + " |")
    lines += ["", "Coverage of the 95% intervals (" + " / ".join(names) + "):", ""]
    lines += ["| set | coverage | mean interval width (pp) |", "| --- | --- | --- |"]
    for name, s in r["sets"].items():
        ms = s["methods"]
        cov = " / ".join(f"{ms[n]['coverage']:.2f}" for n in names)
        wid = " / ".join(f"{ms[n]['mean_interval_pp']:.1f}" for n in names)
        lines.append(f"| {name} | {cov} | {wid} |")
    lines += ["", "Per label (MAE in pp, " + " / ".join(names) + "):", ""]
    lines += ["| set | " + " | ".join(labels) + " |", "| --- |" + " ---: |" * len(labels)]
    for name, s in r["sets"].items():
        ms = s["methods"]
        cells = [" / ".join(f"{ms[n]['per_label_mae_pp'][k]:.1f}" for n in names) for k in labels]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", f"Error rates used by ACC ({r['rates_source']}):", ""]
    lines += ["| label | tpr | fpr | positives | negatives |", "| --- |" + " ---: |" * 4]
    for k, v in r["rates"].items():
        lines.append(
            f"| {k} | {v['tpr']:.3f} | {v['fpr']:.3f} | {v['tp'] + v['fn']} | {v['fp'] + v['tn']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
