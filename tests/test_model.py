"""Behavioural tests of the Model API a user relies on: tag, tag_many, iter_tags, tag_frame,
tag_document — bad input, lost rows, equivalent spellings and the cost of big texts."""

from __future__ import annotations

import itertools
import json
import math
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import policyclf
from policyclf.model import DocumentTags, Model, Tag
from policyclf.resources import data_path

SENTENCES: list[str] = [
    json.loads(line)["text"]
    for line in data_path("corpus", "sentences.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
TALENT = "对新引进的博士给予每人10万元安家补贴。"


@pytest.fixture(scope="module")
def model() -> Model:
    return policyclf.load()


def neutral(model: Model) -> Tag:
    return Tag((), dict.fromkeys(model.labels, 0.0), {})


def corpus_text(n_chars: int, seed: int = 0) -> str:
    """About ``n_chars`` characters of shuffled corpus sentences."""
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    while size < n_chars:
        parts.append(rng.choice(SENTENCES))
        size += len(parts[-1])
    return "".join(parts)[:n_chars]


# ---------------------------------------------------------------------------------- tag


def test_a_policy_sentence_gets_its_labels_and_evidence(model: Model) -> None:
    tag = model.tag(TALENT)
    assert "talent" in tag.labels
    assert bool(tag) is True
    assert tag.labels == tuple(k for k in model.labels if k in tag.labels)  # taxonomy order
    assert set(tag.evidence) == set(tag.labels)
    assert any("补贴" in term or "博士" in term for term, _ in tag.evidence["talent"])


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n\t\u3000\xa0 \r\n",
        "。，、；：！？……——“”‘’《》【】（）",
        ",.;:!?-_()[]{}<>/\\|@#$%^&*~`'\"",
        "1234567890",
        "２０２３ 3.14% 1,000,000",
        "Hello, world! The quick brown fox jumps over the lazy dog.",
        "Innovation policy: talent subsidies and R&D platforms.",
        "\u200b\ufeff\u2060\u200f",
        "<p></p><br/>&nbsp;",
        "😀🎉👍",
    ],
    ids=repr,
)
def test_text_without_chinese_gets_the_neutral_result(model: Model, text: str) -> None:
    tag = model.tag(text)
    assert tag == neutral(model)
    assert bool(tag) is False


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("<p>对引进人才给予补贴&nbsp;</p>", "对引进人才给予补贴"),
        ("<div><b>对引进</b>人才给予<span>补贴</span></div>", "对引进人才给予补贴"),
        ("&lt;p&gt;对引进人才给予补贴&lt;/p&gt;", "对引进人才给予补贴"),
        ("對引進的高層次人才給予安家補貼", "对引进的高层次人才给予安家补贴"),
        ("對新引進的博士給予每人１０萬元安家補貼。", TALENT),
        ("对新引进的博士给予每人１０万元安家补贴．", "对新引进的博士给予每人10万元安家补贴."),
        ("\ufeff对新引进的\u200b博士给予每人10万元安家补贴。\u200d", TALENT),
        ("  对新引进的博士给予每人10万元安家补贴。\n", TALENT),
    ],
)
def test_equivalent_spellings_get_the_same_tag(model: Model, variant: str, plain: str) -> None:
    assert model.tag(variant) == model.tag(plain)


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (TALENT.encode(), "bytes"),
        (None, "NoneType"),
        (3, "int"),
        ([TALENT], "list"),
        (1.5, "float"),
    ],
)
def test_tag_refuses_a_non_str_naming_its_type(model: Model, value: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        model.tag(value)  # type: ignore[arg-type]


def test_results_are_independent_objects(model: Model) -> None:
    """Editing one result (its dicts are mutable) never changes another result."""
    tags = model.tag_many(["", "abc", " ", TALENT, TALENT])
    tags[0].scores["talent"] = 99.0
    tags[0].evidence["talent"] = []
    tags[3].scores["talent"] = 99.0
    tags[3].evidence["talent"].clear()
    assert tags[1] == tags[2] == neutral(model)
    assert tags[4] == model.tag(TALENT)
    assert model.tag("") == neutral(model)


# ----------------------------------------------------------------------- tag_many / iter_tags


def test_tag_many_refuses_a_non_str_naming_its_position(model: Model) -> None:
    with pytest.raises(TypeError, match=r"item 2\b.*NoneType"):
        model.tag_many([TALENT, "", None, TALENT])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"item 1\b.*bytes"):
        model.tag_many(pd.Series([TALENT, b"x"]))
    with pytest.raises(TypeError, match=r"item 1\b.*float"):
        list(model.iter_tags([TALENT, math.nan]))  # type: ignore[list-item]


@pytest.mark.parametrize("texts", [TALENT, TALENT.encode()], ids=["str", "bytes"])
def test_tag_many_refuses_a_single_string(model: Model, texts: object) -> None:
    """A str is an iterable of characters: it must not be tagged one character at a time."""
    with pytest.raises(TypeError, match=re.escape("use tag()")):
        model.tag_many(texts)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=re.escape("use tag()")):
        list(model.iter_tags(texts))  # type: ignore[arg-type]


@pytest.mark.parametrize("batch_size", [0, -1, -2048])
def test_a_batch_size_below_one_is_refused_not_an_empty_result(
    model: Model, batch_size: int
) -> None:
    with pytest.raises(ValueError, match=f"batch_size.*{batch_size}"):
        model.tag_many([TALENT, TALENT], batch_size=batch_size)
    with pytest.raises(ValueError, match="batch_size"):
        list(model.iter_tags([TALENT], batch_size=batch_size))
    with pytest.raises(ValueError, match="batch_size"):
        model.tag_frame(pd.DataFrame({"text": [TALENT]}), batch_size=batch_size)


def test_tag_many_accepts_any_iterable_and_numpy_batch_size(model: Model) -> None:
    texts = [TALENT, "", SENTENCES[0]]
    expected = [model.tag(t) for t in texts]
    assert model.tag_many(iter(texts)) == expected
    assert model.tag_many(tuple(texts), batch_size=np.int64(2)) == expected
    assert model.tag_many(pd.Series(texts)) == expected
    assert model.tag_many(np.array(texts)) == expected
    assert model.tag_many([]) == []


def test_iter_tags_streams_an_endless_iterable(model: Model) -> None:
    consumed = 0

    def endless() -> Iterator[str]:
        nonlocal consumed
        for i in itertools.count():
            consumed += 1
            yield SENTENCES[i % len(SENTENCES)]

    first = list(itertools.islice(model.iter_tags(endless(), batch_size=4), 6))
    assert first == [model.tag(s) for s in SENTENCES[:6]]
    assert consumed <= 8  # two batches, not the whole (endless) stream


@pytest.mark.parametrize("n_jobs", [0, -2, -8])
def test_n_jobs_must_be_positive_or_minus_one(model: Model, n_jobs: int) -> None:
    # 0 used to run silently in this process, -2 to start one worker per core
    with pytest.raises(ValueError, match=rf"tag_many: n_jobs must be .*-1.*got {n_jobs}"):
        model.tag_many([TALENT], n_jobs=n_jobs)
    with pytest.raises(ValueError, match=rf"iter_tags: n_jobs .*got {n_jobs}"):
        model.iter_tags([TALENT], n_jobs=n_jobs)  # refused at the call, before iterating
    with pytest.raises(ValueError, match=rf"tag_frame: n_jobs .*got {n_jobs}"):
        model.tag_frame(pd.DataFrame({"text": [TALENT]}), n_jobs=n_jobs)


@pytest.mark.parametrize("n_jobs", [1.0, "2", True, None])
def test_n_jobs_must_be_an_int(model: Model, n_jobs: object) -> None:
    with pytest.raises(TypeError, match="n_jobs must be an int"):
        model.tag_many([TALENT], n_jobs=n_jobs)  # type: ignore[arg-type]


def test_n_jobs_minus_one_and_numpy_ints_are_accepted(model: Model) -> None:
    expected = [model.tag(TALENT), model.tag(SENTENCES[0])]
    assert model.tag_many([TALENT, SENTENCES[0]], n_jobs=-1) == expected
    assert list(model.iter_tags([TALENT, SENTENCES[0]], n_jobs=np.int64(1))) == expected


def test_tag_many_with_workers_gives_each_worker_several_batches(
    model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """5 default batches on 2 workers would leave one worker 3 and the other 2 (a 5/3 = 1.67x
    ceiling): with workers, tag_many cuts at least 4 batches per worker, same results."""
    sizes: list[int] = []
    real_map = Model._map

    def spy(self: Model, batches: list[list[str]], **kw: object) -> object:
        sizes.extend(len(b) for b in batches)
        return real_map(self, batches, **kw)  # type: ignore[arg-type]

    texts = [f"{SENTENCES[i % len(SENTENCES)]}（{i}）" for i in range(3000)]
    alone = model.tag_many(texts)
    monkeypatch.setattr(Model, "_map", spy)
    assert model.tag_many(texts, n_jobs=2) == alone
    assert sum(sizes) == 3000 and len(sizes) == 8 and max(sizes) == 375
    sizes.clear()
    model.tag_many(texts[:300], n_jobs=2, batch_size=100)  # never below 256 (or batch_size)
    assert sizes == [100, 100, 100]
    sizes.clear()
    model.tag_many(texts[:300], n_jobs=2)
    assert sizes == [256, 44]


class _PoolCounter:
    """Counts the worker pools started (and terminated) while it is installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import multiprocessing.pool

        self.started = 0
        self.terminated = 0
        pool_class = multiprocessing.pool.Pool
        real_init, real_terminate = pool_class.__init__, pool_class.terminate

        def init(pool: object, *args: object, **kw: object) -> None:
            self.started += 1
            real_init(pool, *args, **kw)  # type: ignore[arg-type]

        def terminate(pool: multiprocessing.pool.Pool) -> None:
            self.terminated += 1
            real_terminate(pool)

        monkeypatch.setattr(pool_class, "__init__", init)
        monkeypatch.setattr(pool_class, "terminate", terminate)


def test_iter_tags_keeps_one_pool_for_the_whole_stream(
    model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools = _PoolCounter(monkeypatch)
    texts = [SENTENCES[i % len(SENTENCES)] for i in range(120)]
    serial = list(model.iter_tags(texts, batch_size=5))
    assert pools.started == 0
    assert list(model.iter_tags(texts, batch_size=5, n_jobs=2)) == serial  # 24 batches
    assert pools.started == 1 and pools.terminated >= 1
    assert model.tag_many(texts, batch_size=5, n_jobs=2) == serial
    assert pools.started == 2
    # a single batch is tagged in this process: no pool at all
    assert model.tag_many(texts[:5], batch_size=5, n_jobs=2) == serial[:5]
    assert pools.started == 2


def test_iter_tags_with_workers_reads_a_bounded_way_ahead_and_closes_its_pool(
    model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools = _PoolCounter(monkeypatch)
    consumed = 0

    def endless() -> Iterator[str]:
        nonlocal consumed
        for i in itertools.count():
            consumed += 1
            yield SENTENCES[i % len(SENTENCES)]

    stream = model.iter_tags(endless(), batch_size=4, n_jobs=2)
    first = list(itertools.islice(stream, 6))
    assert first == [model.tag(s) for s in SENTENCES[:6]]
    assert consumed <= 4 * (2 * 2 + 1)  # at most 2 x workers batches in flight, plus one
    assert pools.started == 1 and pools.terminated == 0
    stream.close()  # type: ignore[attr-defined]
    assert pools.terminated == 1


# ------------------------------------------------------------------------------- tag_frame

BAD_ROWS = {
    # position: (value, error)
    1: (None, "missing (None)"),
    2: (math.nan, "missing (NaN)"),
    3: (pd.NA, "missing (NA)"),
    4: (42, "not text (int)"),
    5: (3.5, "not text (float)"),
    6: (b"\xe4\xba\xba\xe6\x89\x8d", "not text (bytes)"),
    8: (np.float32("nan"), "missing (NaN)"),
    9: (["对引进人才给予补贴"], "not text (list)"),
}


@pytest.fixture(scope="module")
def messy_frame() -> pd.DataFrame:
    huge = (corpus_text(900_000, seed=3) + "😀\ud800\x00<p>&nbsp;" * 10_000)[:1_000_000]
    cells: list[object] = [
        TALENT,  # 0
        None,  # 1
        math.nan,  # 2
        pd.NA,  # 3
        42,  # 4
        3.5,  # 5
        b"\xe4\xba\xba\xe6\x89\x8d",  # 6
        "",  # 7
        np.float32("nan"),  # 8
        ["对引进人才给予补贴"],  # 9
        huge,  # 10
        "   ",  # 11
        TALENT,  # 12 (duplicate text and duplicate index label)
        SENTENCES[5],  # 13
    ]
    index = ["r0", "r1", "r2", "r2", "x", "x", "y", "z", "a", "b", "c", "d", "r0", "e"]
    return pd.DataFrame(
        {"id": range(100, 100 + len(cells)), "text": cells, "note": list("abcdefghijklmn")},
        index=pd.Index(index, name="key"),
    )


def test_tag_frame_keeps_every_row_and_flags_the_bad_ones(
    model: Model, messy_frame: pd.DataFrame
) -> None:
    before = messy_frame.copy(deep=True)
    out = model.tag_frame(messy_frame)

    # the input is untouched
    pd.testing.assert_frame_equal(messy_frame, before)
    # one output row per input row, same index (duplicates included) and order
    assert len(out) == len(messy_frame)
    assert out.index.equals(messy_frame.index) and out.index.name == "key"
    # original columns first and unchanged, then the new ones
    score_cols = [f"score_{k}" for k in model.labels]
    assert list(out.columns) == ["id", "text", "note", "labels", *score_cols, "error"]
    pd.testing.assert_frame_equal(out[["id", "text", "note"]], messy_frame)

    for pos in range(len(messy_frame)):
        row = out.iloc[pos]
        value = messy_frame["text"].iloc[pos]
        if pos in BAD_ROWS:
            assert row["error"] == BAD_ROWS[pos][1], pos
            assert row["labels"] == ""
            assert all(math.isnan(row[c]) for c in score_cols), pos
        else:
            tag = model.tag(value)
            assert row["error"] == "", pos
            assert row["labels"] == ";".join(tag.labels), pos
            assert [row[c] for c in score_cols] == [tag.scores[k] for k in model.labels], pos
    assert (out["error"] != "").sum() == len(BAD_ROWS)
    assert out["labels"].iloc[10] != ""  # the 1 MB cell was tagged, not skipped
    assert out["labels"].iloc[0] == out["labels"].iloc[12] != ""
    assert all(out[c].iloc[7] == 0.0 for c in score_cols)  # empty text: the neutral result


def test_tag_frame_on_a_string_dtype_column_and_no_rows(model: Model) -> None:
    df = pd.DataFrame({"text": pd.array([TALENT, pd.NA, ""], dtype="string")})
    out = model.tag_frame(df)
    assert out["error"].tolist() == ["", "missing (NA)", ""]
    assert out["labels"].iloc[0] == ";".join(model.tag(TALENT).labels)

    empty = model.tag_frame(pd.DataFrame({"text": pd.Series([], dtype=object)}))
    assert len(empty) == 0
    assert {"labels", "error", *(f"score_{k}" for k in model.labels)} <= set(empty.columns)


def test_tag_frame_same_results_in_any_batching(model: Model) -> None:
    texts: list[object] = [*SENTENCES[:40], None, "", 7, *SENTENCES[40:60]]
    df = pd.DataFrame({"content": texts})
    one = model.tag_frame(df, text_col="content")
    for batch_size in (1, 3):
        pd.testing.assert_frame_equal(
            model.tag_frame(df, text_col="content", batch_size=batch_size), one
        )


def test_tag_frame_missing_column_names_the_columns(model: Model) -> None:
    df = pd.DataFrame({"content": [TALENT], "id": [1]})
    with pytest.raises(KeyError, match=r"'text'.*\['content', 'id'\]"):
        model.tag_frame(df)


@pytest.mark.parametrize("clash", ["labels", "error", "score_talent"])
def test_tag_frame_never_overwrites_a_column(model: Model, clash: str) -> None:
    """An input column named like an output column, even the text column, is refused."""
    df = pd.DataFrame({"text": [TALENT], clash: ["mine"]})
    with pytest.raises(ValueError, match=clash):
        model.tag_frame(df)
    as_text = pd.DataFrame({clash: [TALENT]})
    with pytest.raises(ValueError, match=f"text column.*{clash}"):
        model.tag_frame(as_text, text_col=clash)
    assert as_text[clash].tolist() == [TALENT]


def test_tag_frame_duplicate_text_columns_are_refused(model: Model) -> None:
    df = pd.DataFrame([[TALENT, "other"]], columns=["text", "text"])
    with pytest.raises(ValueError, match="2 columns are named 'text'"):
        model.tag_frame(df)


# ------------------------------------------------------------------------------ big texts


@pytest.mark.slow
def test_a_megabyte_of_text_tags_in_roughly_linear_time(model: Model) -> None:
    """1 MB costs about 10x what 100 KB costs.

    Linear work gives a ratio near 10 (fixed costs pull it lower); anything quadratic in the
    text length gives about 100. The bound of 25 leaves room for a loaded CI machine, and the
    best of two runs keeps one slow run from failing the test.
    """
    small, big = corpus_text(100_000, seed=1), corpus_text(1_000_000, seed=2)

    def best_of_two(text: str) -> tuple[float, Tag]:
        times = []
        for _ in range(2):
            start = time.perf_counter()
            tag = model.tag(text)
            times.append(time.perf_counter() - start)
        return min(times), tag

    t_small, _ = best_of_two(small)
    t_big, tag = best_of_two(big)
    assert tag.labels and set(tag.labels) <= set(model.labels)  # the corpus carries measures
    assert all(0.0 <= s <= 1.0 for s in tag.scores.values())
    assert t_big / t_small < 25, (t_small, t_big)


# --------------------------------------------------------------------------- tag_document

DOCUMENT = """关于加快科技创新的若干措施

一、人才支持
对新引进的博士给予每人10万元安家补贴。对高层次人才团队给予最高500万元项目资助。

二、平台建设
支持企业建设重点实验室和工程技术研究中心。对新认定的国家级平台给予一次性奖励。

三、成果转化
鼓励高校院所通过转让、许可、作价投资等方式转化科技成果。2023年全市技术合同成交额达到300亿元。

四、附则
本措施自发布之日起施行。
"""


def check_document(model: Model, tagged: DocumentTags) -> None:
    paragraphs = tagged.document.paragraphs
    assert [pt.paragraph for pt in tagged.paragraphs] == list(paragraphs)
    for pt in tagged.paragraphs:
        assert [s for s, _ in pt.sentences] == list(pt.paragraph.sentences)
        for sentence, tag in pt.sentences:
            assert tag == model.tag(sentence.text)
        # the codebook rule: a paragraph's labels are the union of its sentences' labels
        union = {k for _, t in pt.sentences for k in t.labels}
        assert pt.tag.labels == tuple(k for k in model.labels if k in union)
        for k in model.labels:
            assert pt.tag.scores[k] == max(t.scores[k] for _, t in pt.sentences)
            assert (k in pt.tag.labels) == any(k in t.labels for _, t in pt.sentences)
        assert set(pt.tag.evidence) == set(pt.tag.labels)
    assert list(tagged.profile) == list(model.labels)
    n = len(paragraphs)
    for k, share in tagged.profile.items():
        assert 0.0 <= share <= 1.0
        assert share == pytest.approx(sum(k in pt.tag.labels for pt in tagged.paragraphs) / n)


def test_tag_document_from_text(model: Model) -> None:
    tagged = model.tag_document(DOCUMENT)
    check_document(model, tagged)
    assert len(tagged.paragraphs) == 4
    assert tagged.paragraphs[0].paragraph.headings[-1] == "一、人才支持"
    assert "talent" in tagged.paragraphs[0].tag.labels
    assert tagged.paragraphs[3].tag.labels == ()  # closing clause: no measure
    assert tagged.profile["talent"] == pytest.approx(1 / 4)
    assert sum(len(pt.sentences) for pt in tagged.paragraphs) == 7

    rows = tagged.to_frame()
    assert len(rows) == 4 and rows["labels"].iloc[0] != ""
    assert len(tagged.to_frame(level="sentence")) == 7


def test_paragraph_labels_are_the_union_of_sentence_labels(model: Model) -> None:
    # one sentence of talent, one of platform, one of no measure: the paragraph has both
    text = (
        "一、政策措施\n"
        "对新引进的博士给予每人10万元安家补贴。支持企业建设重点实验室。本措施自发布之日起施行。\n"
    )
    tagged = model.tag_document(text)
    (pt,) = tagged.paragraphs
    per_sentence = [t.labels for _, t in pt.sentences]
    assert "talent" in per_sentence[0] and "platform" in per_sentence[1]
    assert per_sentence[2] == ()
    assert {"talent", "platform"} <= set(pt.tag.labels)
    assert set(pt.tag.labels) == {k for labels in per_sentence for k in labels}


def test_tag_document_takes_a_read_document_and_refuses_a_folder(
    model: Model, tmp_path: Path
) -> None:
    from policyclf.readers import parse_document

    document = parse_document(DOCUMENT)
    assert model.tag_document(document).document is document
    with pytest.raises(IsADirectoryError, match="is a folder; read a folder of documents"):
        model.tag_document(str(tmp_path))
    with pytest.raises(IsADirectoryError, match="is a folder"):
        model.tag_document(tmp_path)


def test_tag_document_from_a_path_matches_the_text(model: Model, tmp_path: Path) -> None:
    path = tmp_path / "措施.txt"
    path.write_text(DOCUMENT, encoding="utf-8")
    from_text = model.tag_document(DOCUMENT)
    for source in (path, str(path)):
        from_path = model.tag_document(source)
        check_document(model, from_path)
        assert from_path.document.source == str(path)
        assert from_path.paragraphs == from_text.paragraphs
        assert from_path.profile == from_text.profile


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n", "\ufeff"], ids=repr)
def test_an_empty_document_has_no_paragraphs_and_a_zero_profile(
    model: Model, text: str, tmp_path: Path
) -> None:
    path = tmp_path / "empty.txt"
    path.write_text(text, encoding="utf-8")
    for source in (text, path):
        tagged = model.tag_document(source)
        assert tagged.paragraphs == ()
        assert tagged.profile == dict.fromkeys(model.labels, 0.0)


# ---------------------------------------------------------------------- fast paths = definitions


def _recombined(n: int, seed: int = 7) -> list[str]:
    import json
    import random

    from policyclf.resources import data_path

    sents = [
        json.loads(line)["text"]
        for line in data_path("corpus", "sentences.jsonl").open(encoding="utf-8")
    ]
    rng = random.Random(seed)
    return ["".join(rng.sample(sents, rng.randint(1, 5))) for _ in range(n)]


def test_evidence_false_gives_the_same_labels_and_scores(model: Model) -> None:
    texts = _recombined(300)
    fast = model.tag_many(texts, evidence=False)
    full = model.tag_many(texts)
    assert [(t.labels, t.scores) for t in fast] == [(t.labels, t.scores) for t in full]
    assert all(t.evidence == {} for t in fast)
    assert [t.labels for t in model.iter_tags(texts, evidence=False)] == [t.labels for t in full]


def test_batch_features_and_evidence_match_the_per_text_definitions(model: Model) -> None:
    """The vectorised batch code (features, evidence) equals the readable per-text code."""
    import numpy as np

    from policyclf.features import Analysis
    from policyclf.text import normalize

    feat = model.featurizer
    norms = [normalize(t) for t in _recombined(400, seed=11)]
    batch = feat._transform(norms)
    each = feat._count_each(norms, batch.words)
    for x, y in zip(each, feat._count_batch(norms, batch.words), strict=True):
        assert x.tolist() == y.tolist()
    probs, contrib = model._scores(batch.rows)
    on = probs >= model.thresholds
    fast = model._evidence_batch(batch, on, contrib)
    checked = 0
    for k in range(len(norms)):
        seen = Analysis(tuple(batch.words[k]), tuple((c, feat._cue_cats[c]) for c in batch.cues[k]))
        for j in np.flatnonzero(on[k]).tolist():
            assert fast[k][model.labels[j]] == model._evidence(seen, batch.rows, k, j)
            checked += 1
    assert checked > 300
