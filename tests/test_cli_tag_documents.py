"""``policyclf tag`` on folders and several documents; output files by extension, --force."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policyclf.cli.main import main

TALENT = "对引进的高层次人才给予安家补贴。"
NOTICE = "一、人才支持\n对引进的高层次人才给予安家补贴。支持企业建设重点实验室。\n"
PAGE = (
    "<html><head><title>措施</title></head><body><div class='nav'>首页 政策</div>"
    "<h1>某市人才措施</h1><p>索引号：000/2020-1</p><p>对新引进的博士给予每人10万元安家补贴。</p>"
    "</body></html>"
)


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def jsonl(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def call(*args: str) -> Result:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    yield call


def _docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "notice.txt").write_text(NOTICE, encoding="utf-8")
    (root / "sub" / "page.html").write_text(PAGE, encoding="utf-8")
    (root / "scan.pdf").write_bytes(b"%PDF-1.4\nbroken")
    return root


def test_tag_a_folder_gives_a_doc_column_and_an_error_row_per_bad_file(
    cli: Any, tmp_path: Path
) -> None:
    root = _docs(tmp_path)
    r = cli("tag", "--file", str(root), "--format", "jsonl")
    assert r.code == 0
    rows = r.jsonl()
    assert [row["doc"] for row in rows] == ["notice.txt", "scan.pdf", "sub/page.html"]
    assert list(rows[0])[:2] == ["doc", "paragraph"]
    assert "talent" in rows[0]["labels"] and "platform" in rows[0]["labels"]
    assert rows[0]["headings"] == "一、人才支持"
    assert rows[1]["error"].startswith(f"{root / 'scan.pdf'}: ") and rows[1]["labels"] == []
    assert rows[2]["text"] == "对新引进的博士给予每人10万元安家补贴。"  # no nav, no 索引号
    assert "1 of 3 rows could not be tagged" in r.err


def test_tag_several_files_and_sentences(cli: Any, tmp_path: Path) -> None:
    root = _docs(tmp_path)
    a, b = root / "notice.txt", root / "sub" / "page.html"
    r = cli("tag", "--file", str(a), str(b), "--sentences", "--format", "jsonl")
    assert r.code == 0
    rows = r.jsonl()
    assert [(row["doc"], row["sentence"]) for row in rows] == [
        (str(a), 1),
        (str(a), 2),
        (str(b), 1),
    ]
    r = cli("tag", "--file", str(a), str(root / "missing.txt"))
    assert r.code == 1 and "missing.txt: no such file or folder" in r.err
    (root / "t.csv").write_text("text\n" + TALENT + "\n", encoding="utf-8")
    r = cli("tag", "--file", str(a), str(root / "t.csv"))
    assert r.code == 2 and "is a table: tag tables one at a time" in r.err


def test_output_format_follows_the_extension(cli: Any, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    xlsx = tmp_path / "out.xlsx"
    assert cli("tag", TALENT, "-o", str(xlsx)).code == 0
    sheet = openpyxl.load_workbook(xlsx).active
    header, first = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("text", "labels", "score_platform")
    assert first[0] == TALENT and "talent" in first[1]
    assert isinstance(first[2], float)  # scores are numbers in Excel
    tsv = tmp_path / "out.tsv"
    assert cli("tag", TALENT, "-o", str(tsv)).code == 0
    rows = list(csv.DictReader(io.StringIO(tsv.read_text(encoding="utf-8")), delimiter="\t"))
    assert rows[0]["text"] == TALENT and rows[0]["labels"]
    jsonl = tmp_path / "out.jsonl"
    assert cli("tag", TALENT, "-o", str(jsonl)).code == 0
    assert json.loads(jsonl.read_text(encoding="utf-8"))["text"] == TALENT
    r = cli("tag", TALENT, "-o", str(tmp_path / "out.docx"))
    assert r.code == 2 and "cannot tell the output format" in r.err
    assert not (tmp_path / "out.docx").exists()
    r = cli("tag", TALENT, "-o", str(tmp_path / "x.csv"), "--format", "jsonl")
    assert r.code == 2 and "does not match" in r.err


def test_a_formula_like_text_stays_text_in_excel(cli: Any, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    xlsx = tmp_path / "f.xlsx"
    assert cli("tag", "=1+1对人才给予补贴", "-o", str(xlsx)).code == 0
    cell = openpyxl.load_workbook(xlsx).active["A2"]
    assert cell.value == "=1+1对人才给予补贴" and cell.data_type == "s"


def test_output_is_not_overwritten_without_force(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("precious", encoding="utf-8")
    r = cli("tag", TALENT, "-o", str(out))
    assert r.code == 1 and "already exists; pass --force" in r.err
    assert out.read_text(encoding="utf-8") == "precious"
    assert cli("tag", TALENT, "-o", str(out), "--force").code == 0
    assert out.read_text(encoding="utf-8-sig").startswith("text,labels")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary file left


def test_a_failed_run_leaves_no_output(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    r = cli("tag", "--file", str(tmp_path / "missing.txt"), "-o", str(out))
    assert r.code == 1
    assert list(tmp_path.iterdir()) == []


def test_text_naming_a_file_gets_a_hint(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_text(NOTICE, encoding="utf-8")
    r = cli("tag", str(path))
    assert r.code == 2 and f"to tag what it contains, use --file {path}" in r.err
    r = cli("tag", str(tmp_path))
    assert r.code == 2 and "is the name of a folder" in r.err


def test_tag_a_word_document(cli: Any, tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    word = docx.Document()
    word.add_heading("某市人才措施", level=1)
    word.add_paragraph(TALENT)
    path = tmp_path / "a.docx"
    word.save(str(path))
    rows = cli("tag", "--file", str(path), "--format", "jsonl").jsonl()
    assert [row["text"] for row in rows] == [TALENT]
    assert rows[0]["headings"] == "某市人才措施"
