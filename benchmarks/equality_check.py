"""Before/after check for optimisations of the tagging hot path (not a benchmark).

    python benchmarks/equality_check.py dump /tmp/before.json    # with the old code
    python benchmarks/equality_check.py compare /tmp/before.json # with the new code
    python benchmarks/equality_check.py spec                     # batch vs per-text code

``dump`` tags a fixed set of a few thousand texts (synthetic paragraphs, corpus sentences, the
training rows and awkward inputs: empty, Latin-only, traditional characters, HTML, repeated cue
terms) with the default model and writes labels, scores and evidence to JSON. ``compare`` tags
them again and checks: the same labels, scores within 1e-12, identical evidence; and that
``tag_many`` equals ``[tag(x) for x in xs]`` exactly for several batch sizes. Dump and compare
with the same model files (a retrained model gives other scores).

``spec`` checks the vectorised evidence (``Model._evidence_batch``) against its readable
per-text definition (``Model._evidence``) for every text and predicted label, with the
default model and with a model trained on a tenth of the rows (many words outside its
vocabulary), and ``Featurizer.transform`` (both its counting paths) against counting
``terms()`` text by text.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from _common import build_paragraphs, corpus_sentences

__all__ = ["check_texts", "compare", "dump", "spec"]


def check_texts() -> list[str]:
    """The fixed texts of the check (about 7,000)."""
    from policyclf.training import base_rows

    sents = corpus_sentences()
    awkward = [
        "",
        "   ",
        "Hello world 2023",
        "對新引進的博士給予每人10萬元安家補貼。",
        "<p>对新引进的<b>博士</b>给予每人10万元安家补贴。</p>&nbsp;&lt;br&gt;",
        "安家补贴安家补贴安家补贴,人才公寓人才公寓。贷款贴息贷款贴息",
        "ＡＢＣ１２３科技成果转化２０２１-２０２５年C#与AI、5G基站建设",
        "𠀀𠀁中试基地𪚥研发平台",
        "孵化器" * 50,
        "。,、;:" * 10,
    ]
    return (
        build_paragraphs(5000, seed=7)
        + sents
        + [r.text for r in base_rows()]
        + awkward
        + [s[: len(s) // 2] for s in sents]
    )


def _as_json(tag: Any) -> dict[str, Any]:
    return {
        "labels": list(tag.labels),
        "scores": tag.scores,
        "evidence": {k: [[t, w] for t, w in v] for k, v in tag.evidence.items()},
    }


def dump(path: str) -> None:
    """Write the default model's tags of :func:`check_texts` to ``path``."""
    import policyclf

    m = policyclf.load()
    texts = check_texts()
    tags = [_as_json(t) for t in m.tag_many(texts)]
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"texts": texts, "tags": tags}, f, ensure_ascii=False)
    print(f"wrote {len(tags)} tags to {path}")


def compare(path: str) -> int:
    """Compare today's tags with those dumped to ``path``; 0 when equal, else 1."""
    import policyclf

    m = policyclf.load()
    with open(path, encoding="utf-8") as f:
        ref = json.load(f)
    texts = ref["texts"]
    assert texts == check_texts(), "the check texts changed; dump again with the old code"
    problems: list[str] = []
    new = m.tag_many(texts)
    max_diff = 0.0
    for i, (old, t) in enumerate(zip(ref["tags"], new, strict=True)):
        cur = _as_json(t)
        if old["labels"] != cur["labels"]:
            problems.append(f"text {i}: labels {old['labels']} -> {cur['labels']}")
        for k, v in old["scores"].items():
            max_diff = max(max_diff, abs(v - cur["scores"][k]))
        if old["evidence"] != cur["evidence"]:
            problems.append(f"text {i}: evidence {old['evidence']} -> {cur['evidence']}")
    if max_diff > 1e-12:
        problems.append(f"scores differ by up to {max_diff:.3g}")
    one_by_one = [m.tag(x) for x in texts[:3000]]
    for bs in (1, 7, 256, 2048):
        if m.tag_many(texts[:3000], batch_size=bs) != one_by_one:
            problems.append(f"tag_many(batch_size={bs}) != [tag(x) for x in xs]")
    if m.tag_many(texts[:3000], n_jobs=2, batch_size=500) != one_by_one:
        problems.append("tag_many(n_jobs=2) != [tag(x) for x in xs]")
    for p in problems[:20]:
        print(p)
    n_ev = sum(len(v) for t in ref["tags"] for v in t["evidence"].values())
    print(
        f"{len(texts)} texts, {n_ev} evidence terms: max score difference {max_diff:.3g}; "
        f"{len(problems)} problem(s)"
    )
    return 1 if problems else 0


def _reference_rows(feat: Any, norms: list[str]) -> tuple[list[list[int]], list[list[float]]]:
    """Each text's (indices, unnormalised tf) by counting terms() with a Counter."""
    import math
    from collections import Counter

    out_i, out_v = [], []
    n_text = len(feat.vocabulary)
    for norm in norms:
        counts = Counter(i for t in feat.terms(norm) if (i := feat.vocabulary.get(t)) is not None)
        hits: Counter[int] = Counter()
        for term in feat.cue_matches(norm):
            hits.update(feat._cue_cats[term])
        out_i.append(list(counts) + [n_text + k for k in sorted(hits)])
        out_v.append(
            [float(c) for c in counts.values()]
            + [feat.cue_scale * math.log1p(hits[k]) for k in sorted(hits)]
        )
    return out_i, out_v


def spec() -> int:
    """Batch code against the per-text definitions; 0 when equal, else 1."""
    import numpy as np

    import policyclf
    from policyclf.estimator import PolicyClassifier
    from policyclf.features import Analysis
    from policyclf.text import normalize
    from policyclf.training import base_rows

    rows = base_rows()
    small = PolicyClassifier(C=10.0).fit(
        [r.text for r in rows[::10]], [r.labels for r in rows[::10]]
    )
    texts = check_texts()
    problems = 0
    for name, model in (("default", policyclf.load()), ("tenth", small.to_model())):
        feat = model.featurizer
        norms = [normalize(t) for t in texts]
        norms = [t for t in norms if t]
        checked = 0
        for lo in range(0, len(norms), 1000):
            chunk = norms[lo : lo + 1000]
            batch = feat._transform(chunk)
            each = feat._count_each(chunk, batch.words)
            for x, y in zip(each, feat._count_batch(chunk, batch.words), strict=True):
                if x.tolist() != y.tolist():
                    problems += 1
                    print(f"{name}: _count_each and _count_batch differ (texts {lo}-)")
            ref_i, ref_v = _reference_rows(feat, chunk)
            r = batch.rows
            n_text = len(feat.vocabulary)
            for k in range(len(chunk)):
                a, b = r.indptr[k], r.indptr[k + 1]
                if r.indices[a:b].tolist() != ref_i[k]:
                    problems += 1
                    print(f"{name}: text {lo + k}: feature order differs")
                    continue
                idx, v = np.array(ref_i[k], dtype=np.int64), np.array(ref_v[k])
                text = idx < n_text
                w = (1.0 + np.log(v[text])) * feat.idf[idx[text]]
                if len(w):
                    w /= np.sqrt(w @ w)
                v[text] = w
                if v.tolist() != r.data[a:b].tolist():  # bit for bit
                    problems += 1
                    print(f"{name}: text {lo + k}: feature values differ")
            probs, contrib = model._scores(r)
            on = probs >= model.thresholds
            fast = model._evidence_batch(batch, on, contrib)
            for k in range(len(chunk)):
                seen = Analysis(
                    tuple(batch.words[k]),
                    tuple((c, feat._cue_cats[c]) for c in batch.cues[k]),
                )
                for j in np.flatnonzero(on[k]).tolist():
                    checked += 1
                    want = model._evidence(seen, r, k, j)
                    got = fast[k][model.labels[j]]
                    if want != got:
                        problems += 1
                        if problems <= 5:
                            print(f"{name}: text {lo + k} label {j}:\n  {want}\n  {got}")
        print(f"{name} model: {checked} (text, label) evidence lists checked")
    print(f"{problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "spec":
        sys.exit(spec())
    if len(sys.argv) != 3 or sys.argv[1] not in ("dump", "compare"):
        sys.exit(__doc__)
    if sys.argv[1] == "dump":
        dump(sys.argv[2])
    else:
        sys.exit(compare(sys.argv[2]))
