"""policyclf.dask on a real local cluster: 2 worker processes on 127.0.0.1, started here."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import policyclf
from policyclf.model import Model

dask = pytest.importorskip("dask", reason="needs the dask extra: pip install 'policyclf[dask]'")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

# invented policy-like sentences, and values that are not text
SENTENCES = [
    "对新引进的全职博士给予每人10万元安家补贴。",
    "支持高校院所建设概念验证中心和中试基地，促进科技成果转化。",
    "设立天使投资引导基金，对科技型中小企业贷款给予贴息。",
    "建立科技创新工作领导小组，完善项目评审和绩效评价机制。",
    "2023年全市地区生产总值增长5.2%。",
    "对认定的省级孵化器给予一次性奖励50万元。同时开放共享科研仪器。",
]
ODD = [None, float("nan"), 7, "", "Hello world"]


def frame(n: int, seed: int = 0, odd: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values: list[object] = [
        "".join(rng.choice(SENTENCES, size=rng.integers(1, 4))) for _ in range(n)
    ]
    if odd:
        for i, v in zip(rng.choice(n, size=len(ODD), replace=False), ODD, strict=True):
            values[int(i)] = v
    index = pd.Index(rng.permutation(n) * 3 + 100, name="row")  # not a range: order must hold
    return pd.DataFrame({"text": values, "n": np.arange(n)}, index=index)


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def model() -> Model:
    return policyclf.load()


def test_equals_tag_frame_row_for_row(client: distributed.Client, model: Model) -> None:
    from policyclf.dask import tag_dask

    df = frame(300)
    with dask.config.set({"dataframe.convert-string": False}):  # keep None, NaN, 7 as they are
        ddf = dd.from_pandas(df, npartitions=7, sort=False)
        out = tag_dask(ddf, "text")
        got = out.compute()
    want = model.tag_frame(df, "text")
    pd.testing.assert_frame_equal(got, want)
    assert list(out.columns) == list(want.columns)
    assert set(got.loc[got.error != "", "error"]) == {
        "missing (None)",
        "missing (NaN)",
        "not text (int)",
    }


def test_string_columns_and_meta_match_the_partitions(
    client: distributed.Client, model: Model
) -> None:
    from policyclf.dask import tag_dask

    ddf = dd.from_pandas(frame(120, seed=1), npartitions=4, sort=False)  # Dask's pyarrow strings
    out = tag_dask(ddf, "text", evidence=True)
    got = out.compute()
    assert got.dtypes.to_dict() == out._meta.dtypes.to_dict()
    want = model.tag_frame(ddf.compute(), "text")
    pd.testing.assert_series_equal(got["labels"], want["labels"], check_dtype=False)
    assert np.array_equal(got["score_talent"].to_numpy(), want["score_talent"].to_numpy(), True)
    texts = ddf["text"].compute()
    i = int(np.flatnonzero(got["labels"].astype(str) != "")[0])
    assert json.loads(got["evidence"].iloc[i]) == json.loads(
        json.dumps(model.tag(texts.iloc[i]).evidence, ensure_ascii=False)
    )


def test_a_model_in_memory_or_on_disk_gives_the_same(
    client: distributed.Client, model: Model, tmp_path: Path
) -> None:
    from policyclf.dask import tag_dask

    ddf = dd.from_pandas(frame(80, seed=2, odd=False), npartitions=3, sort=False)
    by_default = tag_dask(ddf, "text").compute()
    in_memory = tag_dask(ddf, "text", model=model).compute()
    on_disk = tag_dask(ddf, "text", model=model.save(tmp_path / "m")).compute()
    pd.testing.assert_frame_equal(in_memory, by_default)
    pd.testing.assert_frame_equal(on_disk, by_default)
    # the in-memory model travels as one graph key, not once per task
    graph = dict(tag_dask(ddf, "text", model=model).__dask_graph__())
    blobs = [v for v in graph.values() if isinstance(v, bytes)]
    assert len(blobs) <= 1


def test_sentences_are_split_and_tagged_one_by_one(
    client: distributed.Client, model: Model
) -> None:
    from policyclf.dask import tag_dask

    df = pd.DataFrame({"text": [SENTENCES[5], SENTENCES[0], None]}, index=[10, 20, 30])
    with dask.config.set({"dataframe.convert-string": False}):
        got = tag_dask(
            dd.from_pandas(df, npartitions=2, sort=False), "text", unit="sentence"
        ).compute()
    assert got.index.tolist() == [10, 10, 20, 30]
    assert got["sentence"].tolist() == [1, 2, 1, 0]
    first = got.iloc[0]
    assert SENTENCES[5][int(first["start"]) : int(first["end"])] == first["text"]
    assert got["labels"].tolist()[:3] == [
        ";".join(model.tag(t).labels) for t in got["text"].tolist()[:3]
    ]
    assert got["error"].tolist()[-1].startswith("missing")


def test_a_worker_killed_mid_run_is_retried_and_every_row_appears_once(
    client: distributed.Client, model: Model
) -> None:
    from policyclf.dask import tag_dask

    df = frame(2000, seed=3)
    with dask.config.set({"dataframe.convert-string": False}):
        ddf = dd.from_pandas(df, npartitions=40, sort=False)
        parts = client.compute(tag_dask(ddf, "text").to_delayed())
    first = next(distributed.as_completed(parts))
    assert first.status == "finished"
    pending = [f for f in parts if not f.done()]
    victim = next(iter(client.processing()))  # a worker that has work
    with contextlib.suppress(Exception):  # the worker dies as a crash would, mid-call
        client.run(os._exit, 1, workers=[victim])
    got = pd.concat(client.gather(parts))
    assert pending, "the run finished before a worker could be killed"
    assert len(got) == len(df) and got.index.is_unique
    assert got["n"].tolist() == df["n"].tolist()  # every row once, in order
    pd.testing.assert_frame_equal(got, model.tag_frame(df, "text"))
    for _ in range(100):  # the nanny restarts the worker
        if len(client.scheduler_info()["workers"]) == 2:
            break
        time.sleep(0.1)


def test_the_command_line_writes_partitioned_parquet(tmp_path: Path, model: Model) -> None:
    df = frame(200, seed=4, odd=False).reset_index(drop=True)
    data = tmp_path / "data"
    data.mkdir()
    df.iloc[:120].to_parquet(data / "a.parquet")
    df.iloc[120:].to_parquet(data / "b.parquet")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "policyclf", "tag", "--engine", "dask", "--workers", "2"]
    run = subprocess.run(
        [*cmd, str(data / "*.parquet"), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert "tagged 200 rows" in run.stderr
    assert sorted(p.name for p in out.iterdir()) == ["part.0.parquet", "part.1.parquet"]
    got = pd.read_parquet(out).reset_index(drop=True)
    want = model.tag_frame(df, "text")
    assert got["labels"].tolist() == want["labels"].tolist()
    assert got["n"].tolist() == want["n"].tolist()
    again = subprocess.run(
        [*cmd, str(data / "*.parquet"), "-o", str(out)], capture_output=True, text=True
    )
    assert again.returncode == 1 and "exists" in again.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing left over


def test_the_spark_recipe(tmp_path: Path, model: Model) -> None:
    """The recipe of docs/dask.md, on a local Spark session."""
    import shutil

    pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java: no java on PATH and no JAVA_HOME")
    from pyspark.sql import SparkSession

    from policyclf.dask import tag_batches

    df = frame(60, seed=5, odd=False).reset_index(drop=True)
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        sdf = spark.createDataFrame(df)
        labels = model.labels
        schema = ", ".join(
            [f"`{f.name}` {f.dataType.simpleString()}" for f in sdf.schema]
            + ["labels string", *(f"score_{k} double" for k in labels), "error string"]
        )
        out = sdf.mapInPandas(lambda batches: tag_batches(batches, text_col="text"), schema=schema)
        got = out.toPandas().sort_values("n").reset_index(drop=True)
    finally:
        spark.stop()
    assert pyspark.__version__
    want = model.tag_frame(df, "text")
    assert got["labels"].tolist() == want["labels"].tolist()
    assert np.allclose(got["score_finance"], want["score_finance"], rtol=0, atol=0)
