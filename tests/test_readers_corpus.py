"""read_corpus: folders, globs, lists and tables in; one row per document out; nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import policyclf
from policyclf.readers import CORPUS_COLUMNS, iter_documents, limits, parse_document, read_corpus

NOTICE = (
    "市科技局关于支持新型研发机构建设的通知\n"
    "各区县科技局：\n"
    "一、支持内容\n"
    "对新认定的新型研发机构给予最高200万元补助。\n"
    "二、工作要求\n"
    "各单位要抓好落实。\n"
    "市科技局\n"
    "2021年3月8日\n"
)
PLAN = "人才引进实施方案\n一、引进对象\n对引进的高层次人才给予安家补贴。\n"


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "notice.txt").write_text(NOTICE, encoding="utf-8")
    (root / "sub" / "plan.txt").write_bytes(PLAN.encode("gb18030"))
    (root / ".hidden.txt").write_text("不读。", encoding="utf-8")
    return root


def test_folder_gives_one_row_per_document_with_the_contract_columns(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    docs = policyclf.read_corpus(root)
    assert list(docs.columns) == list(CORPUS_COLUMNS)
    assert list(docs["doc"]) == ["notice.txt", "sub/plan.txt"]
    assert list(docs["format"]) == ["text", "text"]
    assert list(docs["error"]) == ["", ""]
    first = docs.iloc[0]
    assert first["title"] == "市科技局关于支持新型研发机构建设的通知"
    assert first["date"] == "2021-03-08"
    assert first["issuer"] == "市科技局"
    assert first["path"] == str(root / "notice.txt")
    # the text is the decoded file: parsing it gives the same paragraphs as reading the file
    assert first["text"] == NOTICE
    from_text = parse_document(first["text"])
    from_file = policyclf.read_document(root / "notice.txt")
    assert [p.text for p in from_text.paragraphs] == [p.text for p in from_file.paragraphs]
    assert docs.iloc[1]["text"] == PLAN  # GB18030 detected


def test_sidecar_metadata_becomes_columns(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    (root / "metadata.csv").write_text(
        "file,year,province,issuer\nnotice.txt,2021,山东,市科技局办公室\nplan.txt,2019,浙江,\n",
        encoding="utf-8",
    )
    docs = read_corpus(root)
    assert list(docs["doc"]) == ["notice.txt", "sub/plan.txt"]  # the sidecar is not a document
    assert list(docs.columns) == [*CORPUS_COLUMNS[:-2], "year", "province", "text", "error"]
    assert list(docs["year"]) == [2021, 2019]
    assert list(docs["province"]) == ["山东", "浙江"]
    assert docs.iloc[0]["issuer"] == "市科技局办公室"  # the sidecar wins
    # passed explicitly, from elsewhere
    other = tmp_path / "meta.jsonl"
    other.write_text(json.dumps({"file": "sub/plan.txt", "year": 2018}) + "\n", encoding="utf-8")
    docs = read_corpus(root, metadata=other)
    assert docs["year"].isna().tolist() == [True, False]


def test_glob_and_list_of_paths(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    docs = read_corpus(str(root / "**" / "*.txt"))
    assert list(docs["doc"]) == [str(root / "notice.txt"), str(root / "sub" / "plan.txt")]
    docs = read_corpus([root / "sub" / "plan.txt", str(root / "notice.txt")])
    assert list(docs["doc"]) == [str(root / "sub" / "plan.txt"), str(root / "notice.txt")]
    with pytest.raises(FileNotFoundError, match="no file matches"):
        read_corpus(str(root / "*.html"))
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        read_corpus(tmp_path / "missing")


def test_table_of_documents(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"id": ["a", "b", "c"], "text": [NOTICE, None, PLAN], "year": [2021, 2020, 2019]}
    )
    docs = read_corpus(frame, id_col="id")
    assert list(docs["doc"]) == ["a", "b", "c"]
    assert list(docs["format"]) == ["table"] * 3
    assert list(docs["year"]) == [2021, 2020, 2019]
    assert docs["error"].tolist()[0] == "" and docs["error"].tolist()[2] == ""
    assert docs["error"][1] == "the DataFrame: row 2 (id=b): empty text"
    path = tmp_path / "docs.jsonl"
    frame.to_json(path, orient="records", lines=True, force_ascii=False)
    docs = read_corpus(path)
    assert list(docs["doc"]) == ["1", "2", "3"]
    assert list(docs["path"]) == [str(path)] * 3
    assert "id" in docs.columns
    csv = tmp_path / "docs.csv"
    frame.to_csv(csv, index=False, encoding="gb18030")
    assert read_corpus(csv, id_col="id")["text"][2] == PLAN
    with pytest.raises(KeyError, match="no text column 'body'"):
        read_corpus(frame, text_col="body")


def test_unreadable_files_get_one_error_row_each(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    (root / "bad.txt").write_bytes(b"\xff\xfe\x00\xd8" + b"\x81\x30" * 3)
    (root / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64))
    (root / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (root / "report.txt").write_bytes(b"%PDF-1.4\n")
    docs = read_corpus(root)
    errors = dict(zip(docs["doc"], docs["error"], strict=True))
    assert errors["notice.txt"] == "" and errors["sub/plan.txt"] == ""
    assert errors["bad.txt"].startswith(f"{root / 'bad.txt'}: ")
    assert "invalid UTF-16" in errors["bad.txt"]
    assert "not a document format policyclf reads (save it as .docx)" in errors["old.doc"]
    assert errors["photo.jpg"].startswith(str(root / "photo.jpg"))
    assert "rename it .pdf" in errors["report.txt"]
    assert (docs.loc[docs["error"] != "", "text"] == "").all()


def test_size_limit_gives_an_error_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _folder(tmp_path)
    monkeypatch.setattr(limits, "MAX_TEXT_BYTES", 100)
    docs = read_corpus(root)
    errors = dict(zip(docs["doc"], docs["error"], strict=True))
    assert errors["notice.txt"] == (
        f"{root / 'notice.txt'}: the file is {len(NOTICE.encode())} bytes, over the 100 bytes "
        "limit for text documents (policyclf.readers.limits)"
    )
    assert errors["sub/plan.txt"] == ""  # 63 bytes: under the limit


def test_iter_documents_yields_parsed_documents(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    items = list(iter_documents(root))
    assert [i.doc for i in items] == ["notice.txt", "sub/plan.txt"]
    document = items[0].to_document()
    assert document.headings[0].style == "document"
    assert [h.text for h in document.headings[1:]] == ["一、支持内容", "二、工作要求"]


def test_empty_folder_gives_an_empty_frame_with_the_columns(tmp_path: Path) -> None:
    docs = read_corpus(tmp_path)
    assert docs.empty and list(docs.columns) == list(CORPUS_COLUMNS)
