"""Tests for the ``policyclf`` command line.

Every subcommand is run at least once as the *installed* command (a subprocess of the
``policyclf`` script next to this Python), from a temporary folder; the many edge cases call
``policyclf.cli.main.main([...])`` in-process, which is faster.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policyclf
from policyclf.cli import _common
from policyclf.cli._inputs import Unit
from policyclf.cli._table import display_width, fit, printable, wrap
from policyclf.cli.main import main
from policyclf.cli.tag import tag_units

DATA = Path(__file__).parent / "data"
TALENT = "对引进的高层次人才给予安家补贴。"
FUND = "设立科技成果转化引导基金，对转化项目给予贷款贴息。"
STATS = "2020年全市研发投入达到300亿元。"
LABELS = ("platform", "talent", "finance", "transfer", "governance")


def _installed_command() -> str:
    here = Path(sys.executable).parent / ("policyclf.exe" if os.name == "nt" else "policyclf")
    found = str(here) if here.exists() else shutil.which("policyclf")
    if not found:
        pytest.fail("the policyclf command is not installed: run `python -m pip install -e .`")
    return found


@pytest.fixture(scope="module")
def command() -> str:
    return _installed_command()


def run_cli(
    command: str, *args: str, cwd: Path, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``policyclf`` with ``args`` in ``cwd``; output decoded as UTF-8."""
    p = subprocess.run(
        [command, *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    return subprocess.CompletedProcess(
        p.args, p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")
    )


class Result:
    """The outcome of an in-process ``main([...])`` call."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def jsonl(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]

    def csv(self) -> list[dict[str, str]]:
        limit = csv.field_size_limit(2**31 - 1)  # the test reads huge cells back too
        try:
            return list(csv.DictReader(io.StringIO(self.out)))
        finally:
            csv.field_size_limit(limit)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def call(*args: str, stdin: bytes | None = None) -> Result:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    yield call


def write_csv(path: Path, rows: list[list[str]], **kw: Any) -> Path:
    with open(path, "w", newline="", encoding=kw.pop("encoding", "utf-8")) as f:
        csv.writer(f, **kw).writerows(rows)
    return path


def labelled_file(path: Path) -> Path:
    """A small labelled file that trains a usable model on its own."""
    rows = [["text", "labels", "group"]]
    talent = [
        "引进高层次人才并给予安家补贴。",
        "培养青年科技人才。",
        "对博士给予生活补贴。",
        "实施领军人才引进计划。",
        "建设人才公寓。",
        "开展技能人才培训。",
    ]
    fund = [
        "设立产业引导基金。",
        "给予贷款贴息支持。",
        "对企业给予研发费用补助。",
        "发展科技金融服务。",
        "落实税收优惠政策。",
        "设立天使投资基金。",
    ]
    other = ["全市常住人口达到900万。", "该区位于城市东部。", "去年地区生产总值增长6%。"]
    for i, t in enumerate(talent):
        rows.append([t, "talent", f"g{i % 3}"])
    for i, t in enumerate(fund):
        rows.append([t, "finance", f"g{i % 3}"])
    for i, t in enumerate(other):
        rows.append([t, "", f"g{i % 3}"])
    return write_csv(path, rows)


# =========================================================================== installed command


def test_version_and_help(command: str, tmp_path: Path) -> None:
    r = run_cli(command, "--version", cwd=tmp_path)
    assert r.returncode == 0
    assert r.stdout.strip() == f"policyclf {policyclf.__version__}"
    r = run_cli(command, "--help", cwd=tmp_path)
    assert r.returncode == 0
    for name in ("tag", "train", "evaluate", "taxonomy", "info", "exit codes", "130"):
        assert name in r.stdout


def test_python_dash_m(tmp_path: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "policyclf", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert p.returncode == 0 and p.stdout.strip() == f"policyclf {policyclf.__version__}"


def test_installed_tag_texts(command: str, tmp_path: Path) -> None:
    r = run_cli(command, "tag", TALENT, FUND, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]  # piped: JSON Lines by default
    assert [row["text"] for row in rows] == [TALENT, FUND]
    assert "talent" in rows[0]["labels"]
    assert set(rows[1]["labels"]) >= {"finance"}
    assert set(rows[0]["scores"]) == set(LABELS)
    assert any(term == "安家补贴" for term, _ in rows[0]["evidence"]["talent"])
    assert r.stderr == ""


def test_installed_tag_table_and_stdin(command: str, tmp_path: Path) -> None:
    r = run_cli(command, "tag", "--format", "table", TALENT, cwd=tmp_path)
    assert r.returncode == 0
    assert "talent" in r.stdout and TALENT in r.stdout and "安家补贴" in r.stdout
    lines = f"{TALENT}\n\n{STATS}\n".encode()
    r = run_cli(command, "tag", cwd=tmp_path, stdin=lines)
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    # a blank line is an empty text: a row with an error, like an empty CSV cell
    assert [(row["line"], row["text"]) for row in rows] == [(1, TALENT), (2, ""), (3, STATS)]
    assert rows[1]["error"] == "line 2: empty text" and rows[1]["scores"] == dict.fromkeys(LABELS)
    assert rows[2]["labels"] == [] and rows[2]["error"] == ""
    assert "1 of 3 lines could not be tagged: empty text (1); first: line 2" in r.stderr
    assert r.returncode == 0


def test_installed_tag_document_and_csv(command: str, tmp_path: Path) -> None:
    doc = DATA / "documents" / "regulation_chapters.txt"
    r = run_cli(command, "tag", "--file", str(doc), "--format", "csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    paragraphs = policyclf.read_document(doc).paragraphs
    assert [row["text"] for row in rows] == [p.text for p in paragraphs]
    assert rows[0]["headings"].startswith("市级科普教育基地管理办法")

    table = write_csv(
        tmp_path / "in.csv",
        [["id", "text", "note"], ["a", TALENT, "x"], ["b", "", "y"], ["c", FUND, "z"]],
    )
    r = run_cli(command, "tag", "-f", str(table), "--format", "csv", cwd=tmp_path)
    assert r.returncode == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["id"] for row in rows] == ["a", "b", "c"]
    assert [row["note"] for row in rows] == ["x", "y", "z"]
    assert "talent" in rows[0]["labels"].split(";") and rows[1]["error"] == "row 3: empty text"
    assert rows[1]["score_talent"] == "" and float(rows[0]["score_talent"]) > 0.5
    assert "1 of 3 rows could not be tagged" in r.stderr
    r = run_cli(command, "tag", "-f", str(table), "--strict", cwd=tmp_path)
    assert r.returncode == 1
    assert "policyclf: error: 1 of 3 rows" in r.stderr


def test_installed_train_info_evaluate(command: str, tmp_path: Path) -> None:
    labels = labelled_file(tmp_path / "mine.csv")
    out = tmp_path / "model"
    r = run_cli(
        command,
        "train",
        "--add",
        str(labels),
        "--no-base",
        "--no-eval",
        "--out",
        str(out),
        "--name",
        "mine",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert (out / "manifest.json").is_file() and (out / "report.md").is_file()
    digest = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    assert digest in r.stdout and "Model saved to" in r.stdout

    r = run_cli(command, "info", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"sha256:{digest}" in r.stdout and "'mine'" not in r.stdout and "mine" in r.stdout
    assert "verified" in r.stdout and "yes" in r.stdout

    r = run_cli(command, "tag", "--model", str(out), "培养青年科技人才。", cwd=tmp_path)
    assert r.returncode == 0 and "talent" in json.loads(r.stdout)["labels"]

    r = run_cli(
        command, "evaluate", "--model", str(out), str(labels), "--format", "json", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["metrics"]["n"] == 15 and set(report["metrics"]["labels"]) == set(LABELS)

    # the same folder again: refused, and the model is left as it was
    r = run_cli(
        command, "train", "--add", str(labels), "--no-base", "--out", str(out), cwd=tmp_path
    )
    assert r.returncode == 1 and "--overwrite" in r.stderr
    assert hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest() == digest


def test_installed_taxonomy(command: str, tmp_path: Path) -> None:
    r = run_cli(command, "taxonomy", cwd=tmp_path)
    assert r.returncode == 0
    tax = policyclf.load_taxonomy()
    assert r.stdout.strip() == tax.codebook().strip()
    r = run_cli(command, "taxonomy", "--stats", cwd=tmp_path)
    assert r.returncode == 0 and "| **total** |" in r.stdout


def test_installed_info_default_model(command: str, tmp_path: Path) -> None:
    r = run_cli(command, "info", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    manifest = Path(policyclf.default_model_path()) / "manifest.json"
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
    assert f"sha256:{digest}" in r.stdout  # SECURITY.md: `policyclf info` shows the fingerprint
    meta = json.loads(manifest.read_text(encoding="utf-8"))["meta"]["metadata"]
    for value in (meta["taxonomy_version"], meta["taxonomy_sha256"], meta["data_sha256"]):
        assert value in r.stdout
    assert "talent" in r.stdout


def test_installed_errors_are_one_line(command: str, tmp_path: Path) -> None:
    r = run_cli(command, "tag", "--model", str(tmp_path / "missing"), TALENT, cwd=tmp_path)
    assert r.returncode == 3
    assert r.stderr.startswith("policyclf: error: ") and r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr
    r = run_cli(
        command, "--debug", "tag", "--model", str(tmp_path / "missing"), TALENT, cwd=tmp_path
    )
    assert r.returncode == 3 and "Traceback" in r.stderr
    r = run_cli(command, "tag", "--no-such-option", cwd=tmp_path)
    assert r.returncode == 2 and "usage:" in r.stderr


def test_installed_broken_pipe_is_quiet(command: str, tmp_path: Path) -> None:
    rows = [["text"]] + [[f"{TALENT}{i}"] for i in range(20000)]
    big = write_csv(tmp_path / "big.csv", rows)
    p = subprocess.Popen(
        [command, "tag", "-f", str(big), "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert p.stdout is not None and p.stderr is not None
    first = p.stdout.readline()
    p.stdout.close()  # like `| head -1`
    err = p.stderr.read()
    assert p.wait(timeout=60) == 0
    assert first.startswith(b"text,labels")
    assert err == b""


def test_installed_ctrl_c_exits_130(command: str, tmp_path: Path) -> None:
    p = subprocess.Popen(
        [command, "tag", "--batch-size", "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert p.stdin is not None and p.stdout is not None and p.stderr is not None
    p.stdin.write(TALENT.encode() + b"\n")
    p.stdin.flush()
    assert "talent" in json.loads(p.stdout.readline())["labels"]  # now inside the loop
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=30) == 130
    err = p.stderr.read().decode()
    assert "interrupted" in err and "Traceback" not in err
    p.stdin.close()
    p.stdout.close()
    p.stderr.close()


def test_tag_does_not_import_pandas_or_sklearn(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from policyclf.cli.main import main\n"
        f"rc = main(['tag', '--format', 'table', {TALENT!r}])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'sklearn', 'scipy'})\n"
        "print('HEAVY', heavy, rc, file=sys.stderr)\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        encoding="utf-8",
    )
    assert "HEAVY [] 0" in p.stderr, p.stderr


@pytest.mark.slow
def test_installed_100k_rows_in_bounded_memory(command: str, tmp_path: Path) -> None:
    """A 100,000-row CSV streams: peak memory barely grows from 10,000 to 100,000 rows."""

    def peak_kb(n: int) -> int:
        src = write_csv(
            tmp_path / f"in{n}.csv",
            [["id", "text"]]
            + [
                [str(i), (TALENT, FUND, STATS, "")[i % 4] + str(i) * (i % 4 != 3)] for i in range(n)
            ],
        )
        dst = tmp_path / f"out{n}.csv"
        code = (
            "import resource, subprocess, sys\n"
            "rc = subprocess.call(sys.argv[1:])\n"
            "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        )
        p = subprocess.run(
            [sys.executable, "-c", code, command, "tag", "-f", str(src), "-o", str(dst)],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        )
        rc, kb = map(int, p.stdout.split())
        assert rc == 0
        with open(dst, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == n and [r["id"] for r in rows[:3]] == ["0", "1", "2"]
        assert sum(bool(r["error"]) for r in rows) == n // 4
        return kb

    small, large = peak_kb(10_000), peak_kb(100_000)
    assert large - small < 40_000, (small, large)  # KiB; holding 100k results would be far more


# =========================================================================== tag, in-process


def test_tag_sentences_of_text_args(cli: Any) -> None:
    r = cli("tag", "--sentences", "--format", "jsonl", TALENT + FUND, STATS)
    rows = r.jsonl()
    assert [(x["input"], x["sentence"], x["text"]) for x in rows] == [
        (1, 1, TALENT),
        (1, 2, FUND),
        (2, 1, STATS),
    ]
    assert rows[1]["start"] == len(TALENT) and rows[1]["end"] == len(TALENT + FUND)


def test_tag_dash_reads_stdin(cli: Any) -> None:
    r = cli("tag", "-", stdin=f"{TALENT}\r\n{FUND}".encode())
    assert [x["text"] for x in r.jsonl()] == [TALENT, FUND]
    r = cli("tag", "-", "more")
    assert r.code == 2


def test_tag_stdin_bad_bytes_and_encoding(cli: Any) -> None:
    data = TALENT.encode() + b"\n\xff\xfe\xfa broken\n" + FUND.encode("utf-8") + b"\n"
    r = cli("tag", stdin=data)
    rows = r.jsonl()
    assert [x["line"] for x in rows] == [1, 2, 3]
    assert rows[1]["error"] == "line 2: bytes that are not valid utf-8"
    assert rows[1]["scores"] == dict.fromkeys(LABELS)
    assert "talent" in rows[0]["labels"] and rows[2]["error"] == ""
    assert "1 of 3 lines could not be tagged" in r.err and "--encoding gb18030" in r.err
    assert r.code == 0
    gbk = (TALENT + "\n" + STATS + "\n").encode("gb18030")
    r = cli("tag", "--encoding", "gb18030", stdin=gbk)
    assert [x["text"] for x in r.jsonl()] == [TALENT, STATS] and r.err == ""
    assert cli("tag", "--encoding", "nope", stdin=b"x").code == 2


def test_tag_without_standard_input(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # CI runs with no standard input at all
    r = cli("tag")
    assert (
        r.code == 1
        and r.err == "policyclf: error: no standard input to read; give TEXT or --file\n"
    )


def test_tag_csv_keeps_every_row_in_order(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        "id,text,note\n"
        f"1,{TALENT},a\n"
        "2,,b\n"
        "3,   ,c\n"
        f'4,"{FUND[:10]}\n{FUND[10:]}",d\n'
        "5\n"
        f"6,{STATS},e,extra\n"
        "\n"
        f"7,{'长' * 200_000}人才,f\n",
        encoding="utf-8-sig",
    )
    r = cli("tag", "-f", str(path), "--format", "csv")
    rows = r.csv()
    assert [x["id"] for x in rows] == ["1", "2", "3", "4", "5", "6", "7"]
    errors = [x["error"] for x in rows]
    assert errors[0] == errors[3] == errors[6] == ""
    assert errors[1] == "row 3: empty text" and errors[2] == "row 4: empty text"
    assert errors[4].startswith("row 6: no 'text' cell")
    assert errors[5].startswith("row 7: 4 fields but the header has 3")
    assert rows[3]["text"] == FUND[:10] + "\n" + FUND[10:] and "finance" in rows[3]["labels"]
    assert len(rows[6]["text"]) == 200_002  # a huge cell is read whole
    assert "4 of 7 rows could not be tagged" in r.err and r.code == 0
    assert cli("tag", "-f", str(path), "--strict").code == 1


def test_tag_tsv_excel_and_text_col(cli: Any, tmp_path: Path) -> None:
    tsv = tmp_path / "rows.tsv"
    tsv.write_text(f"内容\t编号\n{TALENT}\t1\n", encoding="utf-8")
    r = cli("tag", "-f", str(tsv))
    assert r.code == 1 and "--text-col 内容" in r.err
    r = cli("tag", "-f", str(tsv), "--text-col", "内容", "--format", "csv")
    assert r.code == 0 and "talent" in r.csv()[0]["labels"].split(";") and r.csv()[0]["编号"] == "1"
    pd = pytest.importorskip("pandas")
    pytest.importorskip("openpyxl")
    xlsx = tmp_path / "rows.xlsx"
    pd.DataFrame({"text": [TALENT, None, 42, FUND], "n": [1, 2, 3, 4]}).to_excel(xlsx, index=False)
    rows = cli("tag", "-f", str(xlsx)).jsonl()
    assert [x["n"] for x in rows] == [1, 2, 3, 4]
    assert "talent" in rows[0]["labels"] and rows[3]["error"] == ""
    assert rows[1]["error"] == "row 3: empty cell"
    assert rows[2]["error"] == "row 4: not text (a number: 42)"


def test_tag_jsonl_bad_records(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    lines = [
        json.dumps({"id": 1, "text": TALENT, "meta": {"k": [1, 2]}}, ensure_ascii=False),
        "",
        json.dumps({"id": 2, "text": None}),
        "[1, 2]",
        "{not json",
        json.dumps({"id": 3, "text": 5}),
        json.dumps({"id": 4, "body": "x"}),
        json.dumps({"id": 5, "text": "x", "labels": "gold"}),
        json.dumps({"id": 6, "text": ""}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = cli("tag", "-f", str(path))
    rows = r.jsonl()
    assert len(rows) == 8  # the blank line is not a record
    assert rows[0]["meta"] == {"k": [1, 2]} and "talent" in rows[0]["labels"]
    assert [x["error"].split(":")[0] for x in rows[1:]] == [
        f"line {n}" for n in (3, 4, 5, 6, 7, 8, 9)
    ]
    assert "a JSON array" in rows[2]["error"] and "not valid JSON" in rows[3]["error"]
    assert "no key 'text'" in rows[5]["error"] and rows[7]["error"] == "line 9: empty text"
    assert "7 of 8 rows could not be tagged" in r.err


def test_tag_refuses_ambiguous_tables(cli: Any, tmp_path: Path) -> None:
    clash = write_csv(tmp_path / "clash.csv", [["text", "labels"], [TALENT, "talent"]])
    r = cli("tag", "-f", str(clash))
    assert r.code == 1 and "'labels'" in r.err and "gold_labels" in r.err
    # a labelled file: point to the command that scores a model against its labels
    assert f"run `policyclf evaluate {clash}`" in r.err
    other = write_csv(tmp_path / "other.csv", [["text", "error"], [TALENT, ""]])
    r = cli("tag", "-f", str(other))
    assert r.code == 1 and "gold_error" in r.err and "evaluate" not in r.err
    tsv = tmp_path / "gold.tsv"
    tsv.write_text(f"text\tlabels\n{TALENT}\ttalent\n", encoding="utf-8")
    r = cli("tag", "-f", str(tsv))
    assert r.code == 1 and f"`policyclf evaluate {tsv}`" in r.err
    dup = write_csv(tmp_path / "dup.csv", [["text", "a", "a"], [TALENT, "1", "2"]])
    r = cli("tag", "-f", str(dup))
    assert r.code == 1 and "duplicate" in r.err
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    r = cli("tag", "-f", str(empty))
    assert r.code == 0 and r.out == "" and "nothing to tag" in r.err
    header_only = write_csv(tmp_path / "h.csv", [["id", "text"]])
    r = cli("tag", "-f", str(header_only), "--format", "csv")
    assert r.out.startswith("id,text,labels,score_platform")
    json_file = tmp_path / "a.json"
    json_file.write_text("[]", encoding="utf-8")
    assert cli("tag", "-f", str(json_file)).code == 1
    assert cli("tag", "-f", str(tmp_path / "missing.csv")).code == 1
    assert cli("tag", TALENT, "-f", str(clash)).code == 2


def test_tag_document_sentences_and_stdin_document(cli: Any) -> None:
    doc = DATA / "documents" / "gb18030_notice.txt"
    rows = cli("tag", "-f", str(doc), "--sentences").jsonl()
    document = policyclf.read_document(doc)
    assert [x["text"] for x in rows] == [s.text for s in document.sentences]
    assert all(document.text[x["start"] : x["end"]] == x["text"] for x in rows)
    r = cli("tag", "--input-format", "document", stdin=doc.read_bytes())
    assert [x["text"] for x in r.jsonl()] == [p.text for p in document.paragraphs]
    r = cli("tag", "-f", str(doc), "--format", "table")
    assert "profile (share of the" in r.out and "§ " in r.out


def test_tag_output_file_csv_has_bom(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    r = cli("tag", TALENT, "-o", str(out))
    assert r.code == 0 and r.out == ""
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # so that Excel shows Chinese
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert "talent" in rows[0]["labels"].split(";")
    r = cli("tag", TALENT, "-o", str(tmp_path / "no" / "such" / "dir.csv"))
    assert r.code == 1 and "cannot write" in r.err


def test_table_is_aligned_and_safe(cli: Any) -> None:
    hostile = "\x1b[31m红色\x1b[0m人才\u202e政策\n第二行\t制表"
    r = cli("tag", "--format", "table", TALENT, "hello world", hostile, FUND * 4)
    assert r.code == 0
    assert "\x1b" not in r.out and "\u202e" not in r.out
    lines = r.out.splitlines()
    text_col = display_width(lines[0][: lines[0].index("text")])
    summary = next(i for i, line in enumerate(lines) if line.startswith("4 texts, "))
    body = lines[2:summary]
    checked = 0
    for line in body:
        if display_width(line) <= text_col:
            continue  # a blank separator line, or a row whose text is empty
        width, i = 0, 0
        while width < text_col:
            width += display_width(line[i])
            i += 1
        assert width == text_col and line[i - 2 : i] == "  " and line[i] != " ", line
        checked += 1
    assert checked >= 7  # 4 rows, the long one wrapped over several lines
    assert "talent 0.9" in r.out or "talent 1.0" in r.out
    assert "— (" in r.out  # no label: the closest label and its score


def test_empty_text_argument_is_an_error_row(cli: Any) -> None:
    # like an empty CSV cell: one row with an error, counted; exit 1 under --strict
    r = cli("tag", "--strict", "")
    assert r.code == 1
    rows = r.jsonl()
    assert len(rows) == 1 and rows[0]["text"] == "" and rows[0]["error"] == "text 1: empty text"
    assert rows[0]["scores"] == dict.fromkeys(LABELS)
    assert "1 of 1 text could not be tagged: empty text (1); first: text 1" in r.err
    r = cli("tag", TALENT, "  ")
    assert r.code == 0 and [x["error"] for x in r.jsonl()] == ["", "text 2: empty text"]
    assert "1 of 2 texts could not be tagged" in r.err
    r = cli("tag", "--sentences", "", TALENT)
    rows = r.jsonl()
    assert [(x["input"], x["sentence"], x["error"]) for x in rows] == [
        (1, None, "text 1: empty text"),
        (2, 1, ""),
    ]


def test_strict_prints_the_failure_once(cli: Any, tmp_path: Path) -> None:
    for args, stdin in (
        (["--strict"], f"{TALENT}\n\n".encode()),
        (["--strict", "-f", str(write_csv(tmp_path / "t.csv", [["text"], [""], [TALENT]]))], None),
    ):
        r = cli("tag", *args, stdin=stdin)
        assert r.code == 1
        lines = r.err.splitlines()
        assert len([x for x in lines if "could not be tagged" in x]) == 1, r.err
        assert lines[0].startswith("policyclf: error: 1 of 2 ") and "warning" not in r.err
        assert lines[-1] == "  (--strict: exit code 1)"


def test_stdin_and_file_documents_give_the_same_offsets(cli: Any, tmp_path: Path) -> None:
    # the CLI decodes standard input with the reader's decode_bytes: a UTF-8 byte-order mark
    # counts in the offsets either way
    text = (
        "\ufeff关于支持人才发展的通知\n\n一、总体要求\n\n" + TALENT + FUND + "\n\n" + STATS + "\n"
    )
    for data in (text.encode("utf-8"), text.encode("utf-16"), text[1:].encode("gb18030")):
        path = tmp_path / "notice.txt"
        path.write_bytes(data)
        for extra in ([], ["--sentences"]):
            from_file = cli("tag", "-f", str(path), *extra).jsonl()
            from_stdin = cli("tag", "--input-format", "document", *extra, stdin=data).jsonl()
            assert from_file and [(x["start"], x["end"], x["text"]) for x in from_stdin] == [
                (x["start"], x["end"], x["text"]) for x in from_file
            ]
            document = policyclf.read_document(path)
            assert all(document.text[x["start"] : x["end"]] == x["text"] for x in from_stdin)
    assert cli("tag", "--input-format", "document", stdin=b"\xef\xbb\xbf" + TALENT.encode())
    r = cli("tag", "--input-format", "document", stdin=b"%PDF-1.7\n...")
    assert r.code == 1 and "<stdin> is a PDF file; policyclf reads plain text" in r.err


def test_tag_file_reports_a_broken_word_or_pdf_file(cli: Any, tmp_path: Path) -> None:
    import zipfile

    docx = tmp_path / "通知.docx"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    r = cli("tag", "-f", str(docx))
    assert r.code == 1 and r.out == ""
    assert f"{docx}: not a readable Word .docx file" in r.err
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(b"%PDF-1.4\n\xff\xfe binary")
    r = cli("tag", "-f", str(pdf))
    assert r.code == 1 and f"{pdf}: not a readable PDF file" in r.err
    assert "unexpected error" not in r.err


def test_tag_with_jobs_uses_one_pool_and_keeps_order(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing.pool

    started = []
    real_init = multiprocessing.pool.Pool.__init__

    def counting_init(self: Any, *args: Any, **kw: Any) -> None:
        started.append(1)
        real_init(self, *args, **kw)

    monkeypatch.setattr(multiprocessing.pool.Pool, "__init__", counting_init)
    texts = [TALENT, "", FUND, STATS, "hello"] * 40
    path = write_csv(tmp_path / "many.csv", [["text"], *([t] for t in texts)])
    one = cli("tag", "-f", str(path), "--batch-size", "7").jsonl()
    assert started == []
    two = cli("tag", "-f", str(path), "--batch-size", "7", "--jobs", "2").jsonl()
    assert len(started) == 1  # one pool for the whole input, not one per block
    assert two == one and [x["text"] for x in two] == texts


def test_tag_units_reads_one_block_ahead() -> None:
    model = policyclf.load()
    pulled = 0

    def units() -> Iterator[Unit]:
        nonlocal pulled
        for i in range(10_000):
            pulled += 1
            text = TALENT if i % 3 else ""
            yield Unit(str(i), {"i": i}, text, "" if text else "empty")

    stream = tag_units(model, units(), batch_size=64)
    first, tag = next(stream)
    assert first.key == "0" and tag is None and pulled <= 64
    rest = list(stream)
    assert len(rest) == 9_999 and [u.key for u, _ in rest[:3]] == ["1", "2", "3"]
    assert all((t is None) == bool(u.error) for u, t in rest)


# =========================================================================== other commands


def test_train_validation_errors(cli: Any, tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "bad.csv", [["text", "labels"], [TALENT, "talnet"], ["", "talent"]])
    out = tmp_path / "m"
    r = cli("train", "--add", str(bad), "--out", str(out))
    assert r.code == 1 and not out.exists()
    assert "2 problem(s)" in r.err and "did you mean 'talent'" in r.err and "row 3" in r.err
    assert cli("train", "--no-base", "--out", str(out)).code == 2
    assert cli("train", "--add", str(tmp_path / "nope.csv"), "--out", str(out)).code == 1
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    r = cli("train", "--add", str(bad), "--out", str(folder))
    assert r.code == 1 and "not a policyclf model folder" in r.err
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert cli("train", "--add", str(bad), "--out", str(out), "--encoding", "x").code == 2


def test_train_overwrite_and_summary(cli: Any, tmp_path: Path) -> None:
    labels = labelled_file(tmp_path / "l.csv")
    out = tmp_path / "m"
    r = cli("train", "--add", str(labels), "--no-base", "--out", str(out), "--folds", "3")
    assert r.code == 0, r.err
    assert "Grouped 3-fold cross-validation" in r.out and "Per-label scores" in r.out
    assert cli("train", "--add", str(labels), "--no-base", "--out", str(out)).code == 1
    r = cli(
        "train", "--add", str(labels), "--no-base", "--no-eval", "--out", str(out), "--overwrite"
    )
    assert r.code == 0 and "No evaluation" in r.out
    assert policyclf.load(out).metadata["rows"] == 15


def test_train_shows_warnings_as_one_line(cli: Any, tmp_path: Path) -> None:
    rows = [
        ["text", "labels"],
        ["引进高层次人才。", "talent"],
        ["引进高层次人才!", "talent"],
        ["设立产业基金。", "finance"],
        ["全市人口900万。", ""],
    ]
    path = write_csv(tmp_path / "near.csv", rows)
    r = cli("train", "--add", str(path), "--no-base", "--no-eval", "--out", str(tmp_path / "m"))
    assert r.code == 0, r.err
    assert "policyclf: warning: 1 near-duplicate" in r.err and "row 3 ~" in r.err
    assert "Warning:" not in r.err  # not Python's own warning format


def test_train_with_base_reports_before_and_after(cli: Any, tmp_path: Path) -> None:
    labels = labelled_file(tmp_path / "l.csv")
    r = cli("train", "--add", str(labels), "--out", str(tmp_path / "m"), "--folds", "3")
    assert r.code == 0, r.err
    assert "without and with the added data" in r.out
    for k in LABELS:
        assert f"\n  {k} " in r.out
    assert "The added data helped:" in r.out


def test_evaluate_formats_and_errors(cli: Any, tmp_path: Path) -> None:
    valid = DATA / "labelfiles" / "valid.csv"
    r = cli("evaluate", str(valid))
    assert r.code == 0 and "precision" in r.out and "(no measure)" in r.out
    assert all(k in r.out for k in LABELS)
    r = cli("evaluate", str(valid), "--format", "markdown", "--out", str(tmp_path / "rep"))
    assert r.code == 0 and r.out.startswith("# ")
    assert (tmp_path / "rep" / "report.md").is_file() and (tmp_path / "rep" / "report.json")
    r = cli("evaluate", str(DATA / "labelfiles" / "problems.csv"))
    assert r.code == 1 and "problem(s)" in r.err and "talnet" in r.err
    assert cli("evaluate", str(tmp_path / "nope.csv")).code == 1
    assert cli("evaluate", "--model", str(tmp_path), str(valid)).code == 3


def test_taxonomy_options(cli: Any, tmp_path: Path) -> None:
    r = cli("taxonomy", "--json")
    assert r.code == 0 and [c["id"] for c in json.loads(r.out)["category"]] == list(LABELS)
    r = cli("taxonomy", "--stats", "--json")
    counts = json.loads(r.out)
    assert counts["total"]["paragraphs"] == sum(1 for _ in policyclf.corpus.load_paragraphs())
    bad = tmp_path / "t.toml"
    bad.write_text("version = 1\n", encoding="utf-8")
    r = cli("taxonomy", "--taxonomy", str(bad))
    assert r.code == 1 and str(bad) in r.err
    assert cli("taxonomy", "--stats", "--taxonomy", str(bad)).code == 2
    r = cli("taxonomy", "--model", str(policyclf.default_model_path()))
    assert r.code == 0 and "platform" in r.out


def test_info_json_and_damaged_model(cli: Any, tmp_path: Path) -> None:
    r = cli("info", "--json")
    info = json.loads(r.out)
    assert r.code == 0 and info["verified"] is True and len(info["fingerprint"]) == 64
    copy = tmp_path / "m"
    shutil.copytree(policyclf.default_model_path(), copy)
    with open(copy / "arrays.npz", "r+b") as f:
        f.seek(100)
        f.write(b"\x00" * 8)
    r = cli("info", str(copy))
    assert r.code == 3
    assert "fingerprint" in r.out and "NO" in r.out  # still shows what the manifest says
    assert "the model does not load" in r.err
    assert cli("info", str(tmp_path / "nothing")).code == 3
    assert cli("info", str(copy), "--model", str(tmp_path)).code == 2


def test_no_command_prints_help(cli: Any) -> None:
    r = cli()
    assert r.code == 2 and "usage:" in r.err


# =========================================================================== error handling


def test_exit_codes_for_unexpected_and_interrupt(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(path: str | None) -> Any:
        raise RuntimeError("kaput")

    monkeypatch.setattr(_common, "load_model", boom)
    monkeypatch.setattr("policyclf.cli.tag.load_model", boom)
    r = cli("tag", TALENT)
    assert r.code == 1 and "unexpected RuntimeError: kaput" in r.err and "--debug" in r.err
    assert "Traceback" not in r.err
    r = cli("--debug", "tag", TALENT)
    assert "Traceback" in r.err
    r = cli("tag", TALENT, "--debug")
    assert "Traceback" in r.err

    def interrupt(path: str | None) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("policyclf.cli.tag.load_model", interrupt)
    r = cli("tag", TALENT)
    assert r.code == 130 and r.err == "policyclf: error: interrupted\n"


def test_broken_pipe_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    class Closed(io.StringIO):
        def write(self, s: str) -> int:
            raise BrokenPipeError

        def flush(self) -> None:
            raise BrokenPipeError

    monkeypatch.setattr(sys, "stdout", Closed())
    assert main(["tag", TALENT]) == 0


# =========================================================================== table helpers


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.integers(min_value=2, max_value=40))
def test_wrap_and_fit_respect_width(text: str, width: int) -> None:
    shown = printable(text)
    assert not any(ch in shown for ch in "\n\r\t\x1b\x00")
    lines = wrap(shown, width)
    for line in lines:
        assert display_width(line) <= width + 2  # closing punctuation may hang past the edge
    assert "".join(lines).replace(" ", "") == shown.replace(" ", "")
    cut = fit(shown, width)
    assert display_width(cut) <= width
    assert cut == shown or cut.endswith("…")


def test_display_width_of_chinese() -> None:
    assert display_width("人才abc") == 7
    assert display_width("e\u0301") == 1  # a combining accent takes no column
    assert wrap("对引进的高层次人才给予安家补贴。", 10) == [
        "对引进的高",
        "层次人才给",
        "予安家补贴。",
    ]
