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
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import policyclf  # noqa: E402
from policyclf.analysis.profiling import profile_tagged  # noqa: E402
from policyclf.analysis.rates import ErrorRates, error_rates, rates_for  # noqa: E402
from policyclf.pool import PoolSpan, check_spans, find_pool, load_pool_labels, pool_texts  # noqa: E402


def _collection(doc: str) -> str:
    return "GWR" if doc.startswith("gwr-") else doc.split("-")[0]


def pool_units(
    spans: list[PoolSpan], texts: dict[str, str], labels: tuple[str, ...]
) -> pd.DataFrame:
    """Coded sentences: doc, collection, text (in memory only), gold labels."""
    return pd.DataFrame(
        [
            {
                "doc": s.doc,
                "collection": _collection(s.doc),
                "text": texts[s.doc][s.start : s.end],
                **{f"gold_{k}": k in s.labels for k in labels},
            }
            for s in spans
        ]
    )


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
    if tagged["doc"].nunique() >= 4:
        res["methods"]["acc (rates from coded half)"] = cross_fitted(
            model, tagged, by, gold, n_boot
        )
    res["gold_mean_share"] = {k: float(gold[k].mean()) for k in labels}
    return res


def cross_fitted(
    model: policyclf.Model, tagged: pd.DataFrame, by: str, gold: pd.DataFrame, n_boot: int
) -> dict[str, Any]:
    """ACC with error rates measured on a coded sample of the same kind of documents — the
    workflow ``m.profile(..., rates=policyclf.evaluate(m, coded_sample))`` — by cross-fitting:
    the documents are split in two halves (alternately, in id order); each half's shares are
    corrected with the rates the model shows on the other half's coded sentences."""
    labels = tuple(model.labels)
    names = {c.id: (c.name_zh, c.name_en) for c in model.taxonomy.categories}
    docs = sorted(tagged["doc"].unique())
    half = tagged["doc"].map({d: i % 2 for i, d in enumerate(docs)})
    Y = tagged[[f"gold_{k}" for k in labels]].to_numpy(dtype=bool)
    P = np.array([[k in x.split(";") for k in labels] for x in tagged["labels"]], dtype=bool)
    est_sum = pd.DataFrame(0.0, index=gold.index, columns=list(labels))
    units = pd.Series(0.0, index=gold.index)
    inside, widths = [], []
    for h in (0, 1):
        mine, other = (half == h).to_numpy(), (half != h).to_numpy()
        rates = ErrorRates(error_rates(Y[other], P[other], labels), "other half")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            prof = profile_tagged(
                tagged[mine],
                labels,
                by=by,
                unit="sentence",
                method="acc",
                rates=rates,
                names=names,
                n_boot=n_boot,
                seed=0,
                level=0.95,
                model_info={},
            )
        est = prof.wide("adjusted_share").fillna(0.0)
        n = prof.wide("n_units").iloc[:, 0]
        est_sum.loc[est.index] += est.mul(n, axis=0)
        units.loc[n.index] += n
        if by == "doc":  # each document is in one half: its interval is a real one
            g = gold.loc[est.index]
            low, high = prof.wide("ci_low"), prof.wide("ci_high")
            inside.append(((low <= g + 1e-12) & (g <= high + 1e-12)).to_numpy().ravel())
            widths.append((high - low).to_numpy().ravel())
    est = est_sum.div(units, axis=0)
    err = (est - gold).abs()
    return {
        "mae_pp": float(100 * err.to_numpy().mean()),
        "per_label_mae_pp": {k: float(100 * err[k].mean()) for k in labels},
        "coverage": float(np.concatenate(inside).mean()) if inside else float("nan"),
        "mean_interval_pp": float(100 * np.concatenate(widths).mean()) if widths else float("nan"),
    }


def trained_on_pool(model: policyclf.Model) -> bool:
    sources = (model.report.get("data") or {}).get("sources") or []
    return any("pool" in str(s.get("source", "")) for s in sources)


def fingerprint(model_dir: str | None) -> str:
    from policyclf.persistence import fingerprint as fp

    return fp(model_dir or policyclf.default_model_path())


def from_git(rev: str) -> str:
    """The default model as committed at ``rev`` (e.g. the v0.1 model: ``git:34c970b``),
    written to a temporary folder; its path."""
    import subprocess
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="policyclf-model-"))

    def show(name: str) -> bytes:
        return subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:models/default/{name}"],
            check=True,
            capture_output=True,
        ).stdout

    manifest = show("manifest.json")
    (folder / "manifest.json").write_bytes(manifest)
    for name in json.loads(manifest)["files"]:
        (folder / name).write_bytes(show(name))
    return str(folder)


def run(model_arg: str | None, pool_arg: str | None, n_boot: int) -> dict[str, Any]:
    """Every set, every variant, for one model."""
    t0 = time.perf_counter()
    model_dir = from_git(model_arg[4:]) if model_arg and model_arg.startswith("git:") else model_arg
    model = policyclf.load(model_dir)
    labels = tuple(model.labels)
    results: dict[str, Any] = {
        "model": {
            "path": model_arg or "default",
            "fingerprint": fingerprint(model_dir),
            "created": model.metadata.get("created"),
            "trained_on_pool": trained_on_pool(model),
        },
        "rates": rates_for(model.report, labels, "sentence").as_dict(),
        "rates_source": rates_for(model.report, labels, "sentence").source,
        "sets": {},
    }
    pool = find_pool(pool_arg)
    spans = load_pool_labels()
    if not spans:
        results["pool"] = "no coded pool sentences (labels/pool/sentences.csv): awaits the data"
    elif pool is None:
        results["pool"] = "the pool (../shared/pool) is not on this machine"
    else:
        texts = pool_texts(pool)
        problems = check_spans(spans, texts)
        if problems:
            raise SystemExit("pool labels do not match the pool:\n" + "\n".join(problems[:10]))
        splits = ["test"] + ([] if results["model"]["trained_on_pool"] else ["train"])
        for split in splits:
            units = pool_units([s for s in spans if s.split == split], texts, labels)
            tagged = tag(model, units)
            for by, what in (("doc", "per document"), ("collection", "per collection")):
                results["sets"][f"pool {split}: {what}"] = evaluate(model, tagged, by, n_boot)
    tagged = tag(model, heldout_units(labels))
    results["sets"]["held-out sentences (one set)"] = evaluate(model, tagged, "doc", n_boot)
    results["seconds"] = round(time.perf_counter() - t0, 1)
    results["labels"] = list(labels)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--model",
        action="append",
        default=None,
        help="a model folder, 'default', or git:REV for the default model as committed at REV "
        "(repeat to compare models; default: the bundled one)",
    )
    ap.add_argument("--pool", default=None)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--out", default=str(ROOT / "benchmarks"))
    args = ap.parse_args(argv)
    models = [None if m == "default" else m for m in (args.model or ["default"])]
    runs = [run(m, args.pool, args.n_boot) for m in models]
    command = (
        "python benchmarks/profile_adjust.py"
        + "".join(f" --model {m or 'default'}" for m in models)
        if args.model
        else "python benchmarks/profile_adjust.py"
    )
    out = Path(args.out)
    (out / "profile_adjust.json").write_text(
        json.dumps({"command": command, "runs": runs}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    text = "\n".join(
        [
            "# Corrected label shares: do they beat raw counts?",
            "",
            f"Generated by `{command}`. Mean absolute error of each label's share of sentences, "
            "in percentage points (pp), against the coders' share, averaged over groups and "
            "labels; coverage = how often the coded share lies inside the 95% bootstrap "
            "interval. Variants: **raw** (classify and count); **acc** (adjusted classify and "
            "count with the error rates of the model's grouped cross-validation, all sentence "
            "rows); **acc (pool rates)** (the same with the cross-validation's pool-sentence "
            "rows only); **probability** (mean calibrated probability); **acc (rates from coded "
            "half)** (cross-fitting: the held-out documents split in two halves, each corrected "
            "with the error rates the model shows on the other half's coded sentences — the "
            "`m.profile(..., rates=policyclf.evaluate(m, coded_sample))` workflow).",
            "",
            *(report(r, tuple(r["labels"])) for r in runs),
        ]
    )
    (out / "PROFILE.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


def report(r: dict[str, Any], labels: tuple[str, ...]) -> str:
    m = r["model"]
    lines = [
        f"## Model `{m['path']}` (fingerprint `{m['fingerprint'][:16]}…`, created "
        f"{m['created']}; {'trained with' if m['trained_on_pool'] else 'trained without'} the "
        f"coded pool sentences; {r['seconds']} s)",
        "",
    ]
    if "pool" in r:
        lines += [f"**Pool:** {r['pool']}.", ""]
    names = list(dict.fromkeys(n for st in r["sets"].values() for n in st["methods"]))

    def val(ms: dict[str, Any], n: str, key: str, fmt: str, label: str | None = None) -> str:
        if n not in ms:
            return "–"
        v = ms[n][key] if label is None else ms[n][key][label]
        return "–" if v != v else format(v, fmt)

    lines += [
        "| set | groups | sentences | " + " | ".join(f"{n} MAE" for n in names) + " |",
        "| --- | ---: | ---: |" + " ---: |" * len(names),
    ]
    for name, s in r["sets"].items():
        ms = s["methods"]
        cells = [val(ms, n, "mae_pp", ".2f") for n in names]
        lines.append(f"| {name} | {s['groups']} | {s['sentences']} | " + " | ".join(cells) + " |")
    lines += ["", "Coverage of the 95% intervals (" + " / ".join(names) + "):", ""]
    lines += ["| set | coverage | mean interval width (pp) |", "| --- | --- | --- |"]
    for name, s in r["sets"].items():
        ms = s["methods"]
        cov = " / ".join(val(ms, n, "coverage", ".2f") for n in names)
        wid = " / ".join(val(ms, n, "mean_interval_pp", ".1f") for n in names)
        lines.append(f"| {name} | {cov} | {wid} |")
    lines += ["", "Per label (MAE in pp, " + " / ".join(names) + "):", ""]
    lines += ["| set | " + " | ".join(labels) + " |", "| --- |" + " ---: |" * len(labels)]
    for name, s in r["sets"].items():
        ms = s["methods"]
        cells = [
            " / ".join(val(ms, n, "per_label_mae_pp", ".1f", k) for n in names) for k in labels
        ]
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
