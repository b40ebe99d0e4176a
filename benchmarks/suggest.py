"""Does ``suggest`` pay? Learning curves of suggest vs. uncertainty vs. random selection.

Starting from the bundled training rows (corpus, codebook, supplement; never the pool), rows are
added from the *training* documents of the coded pool sentences in rounds of 50, chosen by

* ``default`` — :func:`policyclf.active.suggest` (uncertainty weighted by weak and rare labels,
  diversity, exclusion);
* ``uncertainty`` — closest to a threshold, nothing else;
* ``random`` — a uniform sample,

each round by the model retrained on everything chosen so far (the loop a research team runs:
suggest, code, retrain). The coders' labels of the chosen rows are looked up in the coded pool
(simulated annotation). After 50, 100, 200 and 400 added rows the model is scored (micro and
macro F1) on the coded sentences of the held-out pool documents, which are never candidates.

Each seed draws 80 % of the training documents as that seed's candidate pool (and seeds the
tie-breaks and the random sample), so the spread over seeds shows how much the result depends
on which documents happened to be available. Label priorities come from the grouped
cross-validation report of the base model (computed once).

Data (read at run time; nothing of the pool's text is written anywhere):

* ``--data pool`` (default): the coded sentences of ``../shared/pool`` documents
  (``labels/pool/sentences.csv``: spans by document, offsets and hash) with their train/test
  split by document; the held-out (test) documents are never candidates;
* ``--data synthetic``: invented sentences built from labelled phrases (for testing the script).

Usage: ``python benchmarks/suggest.py [--data pool|synthetic] [--seeds 5] [--budgets 50 100 200
400] [--out benchmarks]``; writes ``SUGGEST.md``, ``suggest.json`` and ``suggest.png`` into
``--out`` (for ``--data synthetic``: ``SUGGEST_synthetic.*``).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from policyclf.active import suggest
from policyclf.estimator import PolicyClassifier, UngroupedFoldsWarning, binarize
from policyclf.evaluation import label_metrics
from policyclf.labelfiles import LabelledRow, text_key
from policyclf.model import Model
from policyclf.taxonomy import Taxonomy, load_taxonomy
from policyclf.training import DEFAULT_PARAMS, base_rows, cross_validate

__all__ = ["Coded", "load_pool", "main", "run", "synthetic"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STRATEGIES = ("default", "uncertainty", "random")
ROUND = 50


@dataclass(frozen=True)
class Coded:
    """A coded sentence: text, gold labels, its document, and train/test split."""

    text: str
    labels: tuple[str, ...]
    doc: str
    split: str  # "train" or "test"


# --------------------------------------------------------------------------- data


def load_pool(pool: Path | None = None) -> list[Coded]:
    """The coded pool sentences (``labels/pool/sentences.csv``) with their text, read from the
    pool documents at run time; a span whose hash no longer matches is an error."""
    from policyclf.pool import load_pool_labels, pool_texts, span_hash

    texts = pool_texts(pool)
    out = []
    for s in load_pool_labels():
        text = texts[s.doc][s.start : s.end]
        if span_hash(text) != s.sha1:
            raise SystemExit(f"{s.key}: the pool text changed (hash mismatch)")
        out.append(Coded(text, s.labels, s.doc, s.split))
    return out


_PHRASES: dict[str, list[str]] = {
    "platform": [
        "建设省级重点实验室",
        "布局新型研发机构",
        "支持建设科技企业孵化器",
        "打造共享仪器服务平台",
        "建设工程技术研究中心",
        "培育众创空间和加速器",
    ],
    "talent": [
        "引进高层次创新人才团队",
        "培养青年科技人才",
        "为引进博士提供人才公寓",
        "开展科技人才分类评价",
        "实施卓越工程师培养计划",
        "完善外籍人才服务保障",
    ],
    "finance": [
        "给予最高五十万元奖补",
        "设立科技创新引导基金",
        "提供科技信贷贴息",
        "落实研发费用加计扣除",
        "安排专项资金支持",
        "开展知识产权质押融资",
    ],
    "transfer": [
        "促进科技成果转移转化",
        "建设技术交易市场",
        "培育技术经纪人队伍",
        "推动产学研协同创新",
        "开展职务科技成果赋权改革",
        "建设中试熟化基地",
    ],
    "governance": [
        "建立科技创新联席会议制度",
        "深化科研项目管理改革",
        "优化科技政务服务流程",
        "完善科技创新考核评价",
        "制定科技创新发展规划",
        "推行科研经费包干制",
    ],
}
_NONE = [
    "全市研发投入强度达到百分之二点五",
    "高新技术企业数量比上年增长百分之十",
    "常住人口总量保持稳定",
    "全年举办各类科技活动百余场",
]
_SUBJECTS = ["各区县要", "市科技局牵头", "鼓励企业", "支持高校院所", "有关部门应当", "我市将"]


def synthetic(n_docs: int = 60, per_doc: int = 25, seed: int = 0) -> list[Coded]:
    """Invented coded sentences: 0–2 labelled phrases (or a statistic) per sentence, documents
    with their own mix of labels, a third of the documents held out."""
    rng = np.random.default_rng(seed)
    ids = list(_PHRASES)
    out: list[Coded] = []
    for d in range(n_docs):
        weights = rng.dirichlet(np.full(len(ids), 0.6))  # each document has its own mix
        split = "test" if d % 3 == 0 else "train"
        for s in range(per_doc):
            k = rng.choice([0, 1, 1, 1, 2])
            if k == 0:
                text = f"{_NONE[rng.integers(len(_NONE))]}，第{d}号文件第{s}项。"
                out.append(Coded(text, (), f"doc{d:03d}", split))
                continue
            chosen = sorted(set(rng.choice(len(ids), size=k, p=weights).tolist()))
            parts = [_PHRASES[ids[j]][rng.integers(6)] for j in chosen]
            text = f"{_SUBJECTS[rng.integers(len(_SUBJECTS))]}{'，'.join(parts)}（{d}-{s}）。"
            out.append(Coded(text, tuple(ids[j] for j in chosen), f"doc{d:03d}", split))
    return out


# --------------------------------------------------------------------------- the loop


def _fit(
    tax: Taxonomy, rows: Sequence[tuple[str, tuple[str, ...], str]], report: dict[str, Any]
) -> Model:
    est = PolicyClassifier(tax, random_state=0, **DEFAULT_PARAMS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UngroupedFoldsWarning)
        est.fit([r[0] for r in rows], [r[1] for r in rows], groups=[r[2] for r in rows])
    return est.to_model(metadata={"name": "benchmark", "base": True}, report=report)


def _score(model: Model, test: Sequence[Coded]) -> dict[str, float]:
    labels = model.labels
    tags = model.tag_many([c.text for c in test], evidence=False)
    Y = binarize([c.labels for c in test], labels)
    P = np.array([[k in t.labels for k in labels] for t in tags], dtype=bool)
    m = label_metrics(Y, P, labels)
    return {
        "micro_f1": m["micro_f1"],
        "macro_f1": m["macro_f1"],
        **{f"f1_{k}": m["labels"][k]["f1"] for k in labels},
    }


def run(
    coded: Sequence[Coded],
    *,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    budgets: Sequence[int] = (50, 100, 200, 400),
    strategies: Sequence[str] = STRATEGIES,
    share: float = 0.8,
    log: Any = None,
) -> dict[str, Any]:
    """The learning curves: ``results[strategy][budget]`` is a list of score dicts, one per seed
    (budget 0 = the base model)."""
    tax = load_taxonomy()
    base = [
        (r.text, r.labels, r.group or r.source)
        for r in base_rows(tax)
        if not r.source.startswith("labels/pool")
    ]
    base_keys = {text_key(t) for t, _, _ in base}
    train = [c for c in coded if c.split != "test" and text_key(c.text) not in base_keys]
    test = [c for c in coded if c.split == "test"]
    if not train or not test:
        raise SystemExit(f"need coded train and test documents (got {len(train)}, {len(test)})")
    gold = {c.text: c for c in train}
    docs = sorted({c.doc for c in train})
    started = time.perf_counter()
    base_report = dict(
        cross_validate(
            [LabelledRow(t, y, None, g, "base", i) for i, (t, y, g) in enumerate(base)], tax
        )
    )
    base_model = _fit(tax, base, base_report)
    base_score = _score(base_model, test)
    results: dict[str, dict[int, list[dict[str, float]]]] = {
        s: {0: [base_score] * len(seeds)} for s in strategies
    }
    steps = sorted({b for b in budgets})
    for seed in seeds:
        rng = np.random.default_rng(1000 + seed)
        avail = set(rng.choice(docs, size=max(1, round(share * len(docs))), replace=False))
        cands = [c for c in train if c.doc in avail]
        for strategy in strategies:
            chosen: list[Coded] = []
            model = base_model
            while len(chosen) < steps[-1]:
                want = min(ROUND, steps[-1] - len(chosen))
                nxt = next((b for b in steps if b > len(chosen)), steps[-1])
                want = min(want, nxt - len(chosen))
                picked = suggest(
                    model,
                    [c.text for c in cands],
                    n=want,
                    strategy=strategy,
                    exclude=[c.text for c in chosen],
                    seed=seed * 100 + len(chosen),
                    min_chars=1,
                    exclude_training=False,  # bundled texts were removed above; pool ones
                    # are the candidates themselves
                )
                if not len(picked):
                    break
                chosen += [gold[t] for t in picked["text"]]
                rows = base + [(c.text, c.labels, f"pool:{c.doc}") for c in chosen]
                model = _fit(tax, rows, base_report)
                if len(chosen) in steps:
                    results[strategy].setdefault(len(chosen), []).append(_score(model, test))
            if log:
                last = results[strategy].get(steps[-1], [{}])[-1]
                print(
                    f"seed {seed} {strategy:<12} {len(chosen)} rows: micro F1 "
                    f"{last.get('micro_f1', float('nan')):.3f} "
                    f"({time.perf_counter() - started:.0f} s)",
                    file=log,
                    flush=True,
                )
    return {
        "results": {s: {str(b): v for b, v in r.items()} for s, r in results.items()},
        "n_train_sentences": len(train),
        "n_train_documents": len(docs),
        "n_test_sentences": len(test),
        "n_test_documents": len({c.doc for c in test}),
        "n_base_rows": len(base),
        "seeds": list(seeds),
        "budgets": list(steps),
        "share": share,
        "seconds": round(time.perf_counter() - started, 1),
    }


# --------------------------------------------------------------------------- report


def summarize(out: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """Mean and sample SD over seeds of micro/macro F1 per strategy and budget."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for s, per in out["results"].items():
        table[s] = {}
        for b, scores in per.items():
            row = {}
            for metric in ("micro_f1", "macro_f1"):
                v = np.array([x[metric] for x in scores])
                row[metric] = float(v.mean())
                row[f"{metric}_sd"] = float(v.std(ddof=1)) if len(v) > 1 else 0.0
            row["n"] = len(scores)
            table[s][b] = row
    return table


def verdict(table: dict[str, dict[str, dict[str, float]]], metric: str = "micro_f1") -> list[str]:
    """Per budget: does default beat random by more than the seed spread?"""
    lines = []
    for b in table.get("default", {}):
        if b == "0" or b not in table.get("random", {}):
            continue
        d, r = table["default"][b], table["random"][b]
        gap = d[metric] - r[metric]
        spread = max(d[f"{metric}_sd"], r[f"{metric}_sd"])
        if gap > spread:
            word = "beats random by more than the seed spread"
        elif gap < -spread:
            word = "is worse than random by more than the seed spread"
        else:
            word = "is within the seed spread of random"
        lines.append(
            f"{b} rows: suggest {d[metric]:.3f} vs random {r[metric]:.3f} "
            f"(difference {gap:+.3f}, larger seed SD {spread:.3f}): suggest {word}."
        )
    return lines


def plot(table: dict[str, dict[str, dict[str, float]]], path: Path, title: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
    for ax, metric in zip(axes, ("micro_f1", "macro_f1"), strict=True):
        for s, per in table.items():
            xs = sorted(int(b) for b in per)
            m = np.array([per[str(x)][metric] for x in xs])
            sd = np.array([per[str(x)][f"{metric}_sd"] for x in xs])
            ax.plot(xs, m, marker="o", label=s)
            ax.fill_between(xs, m - sd, m + sd, alpha=0.15)
        ax.set_xlabel("rows added to the bundled training data")
        ax.set_ylabel(metric.replace("_", " "))
        ax.grid(alpha=0.3)
    axes[0].legend(title="selection")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(out: dict[str, Any], folder: Path, stem: str, data: str, command: str) -> Path:
    table = summarize(out)
    (folder / f"{stem}.json").write_text(
        json.dumps({**out, "summary": table}, indent=1) + "\n", encoding="utf-8"
    )
    png = folder / f"{stem.lower()}.png"
    has_plot = plot(table, png, f"Learning curves on held-out {data} documents")
    lines = [
        f"# Does `suggest` pay? ({data} data)",
        "",
        f"Command: `{command}` ({out['seconds']} s on {platform.machine()}, "
        f"Python {platform.python_version()}).",
        "",
        f"Candidates: {out['n_train_sentences']} coded sentences of {out['n_train_documents']} "
        f"training documents (each seed draws {out['share']:.0%} of the documents); test: "
        f"{out['n_test_sentences']} coded sentences of {out['n_test_documents']} held-out "
        f"documents; base: {out['n_base_rows']} bundled training rows. Rows are added in "
        f"rounds of {ROUND}, each chosen by the model retrained on the rows chosen so far. "
        f"{len(out['seeds'])} seeds; mean ± sample SD over seeds.",
        "",
        "| strategy | rows added | micro F1 | macro F1 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for s, per in table.items():
        for b in sorted(per, key=int):
            r = per[b]
            lines.append(
                f"| {s} | {b} | {r['micro_f1']:.3f} ± {r['micro_f1_sd']:.3f} | "
                f"{r['macro_f1']:.3f} ± {r['macro_f1_sd']:.3f} |"
            )
    lines += ["", "**Does suggest beat random by more than the seed spread?** (micro F1)", ""]
    lines += [f"* {x}" for x in verdict(table, "micro_f1")]
    lines += ["", "Macro F1:", ""]
    lines += [f"* {x}" for x in verdict(table, "macro_f1")]
    if has_plot:
        lines += ["", f"![learning curves]({png.name})"]
    lines.append("")
    md = folder / f"{stem}.md"
    md.write_text("\n".join(lines), encoding="utf-8")
    return md


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", choices=("pool", "synthetic"), default="pool")
    p.add_argument("--pool", type=Path, default=None, help="the pool folder (../shared/pool)")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--budgets", type=int, nargs="+", default=[50, 100, 200, 400])
    p.add_argument("--out", type=Path, default=HERE)
    args = p.parse_args(argv)
    coded = synthetic() if args.data == "synthetic" else load_pool(args.pool)
    out = run(coded, seeds=range(args.seeds), budgets=args.budgets, log=sys.stderr)
    stem = "SUGGEST" if args.data == "pool" else "SUGGEST_synthetic"
    command = "python benchmarks/suggest.py " + " ".join(argv or sys.argv[1:])
    md = write(out, args.out, stem, args.data, command.strip())
    print(md.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
