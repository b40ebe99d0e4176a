"""Tests for policyclf.labelfiles: reading and validating users' labelled-data files."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyclf.exceptions import LabelFileError
from policyclf.labelfiles import (
    FORMATS,
    LabelledRow,
    NearDuplicateWarning,
    detect_format,
    read_labelled,
)
from policyclf.taxonomy import Taxonomy, load_taxonomy

DATA = Path(__file__).parent / "data" / "labelfiles"
IDS = ("platform", "talent", "finance", "transfer", "governance")

PLAT = "支持建设省级重点实验室和工程技术研究中心。"
TAL = "对引进的高层次人才给予最高100万元安家补贴，并提供人才公寓。"
TRFIN = "设立科技成果转化引导基金，对转化项目给予贷款贴息。"
NONE = "2020年全市研发投入达到300亿元。"
GOV = "深化科技评价制度改革，推行科研项目经费包干制。"
FIN = "鼓励银行开展知识产权质押融资，对科技型中小企业给予贷款风险补偿。"


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


def write(folder: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> str:
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return str(path)


def problems_of(*args: object, **kwargs: object) -> list[str]:
    with pytest.raises(LabelFileError) as info:
        read_labelled(*args, **kwargs)  # type: ignore[arg-type]
    assert str(info.value).count("\n") == len(info.value.problems)  # one line each
    return info.value.problems


def brief(rows: list[LabelledRow]) -> list[tuple[int, tuple[str, ...], str | None, str | None]]:
    return [(r.row, r.labels, r.id, r.group) for r in rows]


# --------------------------------------------------------------------------- valid fixtures


def test_valid_csv(tax: Taxonomy) -> None:
    path = str(DATA / "valid.csv")
    rows = read_labelled(path, tax)
    assert brief(rows) == [
        (2, ("platform",), "c1", "jinan-2021"),
        (3, ("talent",), "c2", "jinan-2021"),
        (4, ("finance", "transfer"), "c3", "qingdao-2020"),  # taxonomy order, not file order
        (5, (), "c4", "qingdao-2020"),
    ]
    assert [r.text for r in rows] == [PLAT, TAL, TRFIN, NONE]
    assert {r.source for r in rows} == {path}


def test_valid_tsv_with_chinese_headers_and_names(tax: Taxonomy) -> None:
    rows = read_labelled(DATA / "valid.tsv", tax)
    assert brief(rows) == [
        (2, ("talent", "finance"), "t1", "济南"),  # 人才；金融/资金 (full-width ;)
        (3, ("governance",), "t2", "济南"),
        (4, (), "t3", "青岛"),
    ]
    assert rows[0].source == str(DATA / "valid.tsv")


def test_excel_unicode_text_export_is_utf16_tsv(tax: Taxonomy) -> None:
    path = DATA / "valid_unicode_text.txt"
    assert detect_format(path) == "tsv"
    rows = read_labelled(path, tax)
    assert [(r.row, r.text, r.labels) for r in rows] == [
        (2, FIN, ("finance",)),  # English name
        (3, PLAT, ("platform", "talent")),  # "平台建设|talent"
    ]


def test_valid_jsonl(tax: Taxonomy) -> None:
    rows = read_labelled(DATA / "valid.jsonl", tax)
    # line 3 is blank: row numbers are line numbers
    assert brief(rows) == [
        (1, ("talent", "finance"), "j1", "a"),
        (2, ("platform", "transfer"), "2", None),  # list of names; numeric id kept as text
        (4, (), None, None),  # labels null = no measure
    ]


def test_doccano(tax: Taxonomy) -> None:
    path = DATA / "doccano.jsonl"
    assert detect_format(path) == "doccano"
    rows = read_labelled(path, tax)
    assert brief(rows) == [
        (1, ("talent",), "1", None),
        (2, ("finance", "transfer"), "2", None),
        (3, (), "3", None),
    ]


def test_label_studio(tax: Taxonomy) -> None:
    path = DATA / "label_studio.json"
    assert detect_format(path) == "label-studio"
    with pytest.warns(UserWarning, match=r"skipped 2 task\(s\).*task ids 10, 11"):
        rows = read_labelled(path, tax)
    assert brief(rows) == [
        (1, ("talent", "finance"), "7", None),
        # latest non-cancelled annotation wins (a later cancelled one is ignored);
        # text from the first string value of data; group from data.document
        (2, ("transfer",), "8", "doc-2"),
        (3, (), "9", "doc-3"),  # an annotation with an empty result = no measure
    ]
    assert rows[1].text == TRFIN


def test_excel(tax: Taxonomy) -> None:
    path = DATA / "valid.xlsx"
    assert detect_format(path) == "excel"
    rows = read_labelled(path, tax)
    # Excel's own row numbers: row 4 is blank and skipped; cells read as strings
    assert brief(rows) == [
        (2, ("platform",), "1", "jinan-2021"),
        (3, ("talent", "finance"), "2", "jinan-2021"),
        (5, (), "4", "qingdao-2020"),
    ]
    assert rows[0].text == PLAT


def test_excel_without_openpyxl(monkeypatch: pytest.MonkeyPatch, tax: Taxonomy) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # makes "import openpyxl" fail
    [problem] = problems_of(DATA / "valid.xlsx", tax)
    assert problem.endswith("pip install policyclf[excel]")


def test_damaged_excel(tmp_path: Path, tax: Taxonomy) -> None:
    good = (DATA / "valid.xlsx").read_bytes()
    path = write(tmp_path, "cut.xlsx", good[: len(good) // 2])
    [problem] = problems_of(path, tax)
    assert problem.startswith(f"{path}: cannot read the Excel workbook")
    fake = write(tmp_path, "fake.xlsx", "text,labels\n")
    [problem] = problems_of(fake, tax)
    assert "not an .xlsx workbook" in problem


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("valid.csv", "csv"),
        ("valid.tsv", "tsv"),
        ("valid.jsonl", "jsonl"),
        ("doccano.jsonl", "doccano"),
        ("label_studio.json", "label-studio"),
        ("valid.xlsx", "excel"),
        ("gbk.csv", "csv"),
    ],
)
def test_detect_format(name: str, fmt: str) -> None:
    assert detect_format(DATA / name) == fmt
    assert fmt in FORMATS


def test_detect_format_by_content(tmp_path: Path, tax: Taxonomy) -> None:
    tsv_named_csv = write(tmp_path, "a.csv", f"text\tlabels\n{PLAT}\tplatform\n")
    assert detect_format(tsv_named_csv) == "tsv"
    assert brief(read_labelled(tsv_named_csv, tax)) == [(2, ("platform",), None, None)]
    csv_named_txt = write(tmp_path, "b.txt", f"text,labels\n{TAL},talent\n")
    assert detect_format(csv_named_txt) == "csv"
    doccano_named_json = write(
        tmp_path, "c.json", json.dumps({"text": FIN, "label": ["金融"]}, ensure_ascii=False)
    )
    assert detect_format(doccano_named_json) == "doccano"
    assert read_labelled(doccano_named_json, tax)[0].labels == ("finance",)
    with pytest.raises(LabelFileError, match=r"notes\.docx: unknown format \(extension \.docx\)"):
        detect_format(write(tmp_path, "notes.docx", "x"))
    with pytest.raises(LabelFileError, match="file not found"):
        detect_format(tmp_path / "missing.csv")


@pytest.mark.parametrize("spelling", ["talent", "Talent", " TALENT ", "人才"])
def test_ids_and_names_are_accepted(tmp_path: Path, tax: Taxonomy, spelling: str) -> None:
    path = write(tmp_path, "a.csv", f"text,labels\n{TAL},{spelling};资金;金融/资金;finance\n")
    [row] = read_labelled(path, tax)
    assert row.labels == ("talent", "finance")  # deduplicated, taxonomy order


def test_default_taxonomy_is_used() -> None:
    assert read_labelled(DATA / "valid.csv")[2].labels == ("finance", "transfer")


# --------------------------------------------------------------------------- problems


def test_problem_kinds_in_one_file(tax: Taxonomy) -> None:
    f = str(DATA / "problems.csv")
    assert problems_of(f, tax) == [
        f"{f}: row 3: unknown label 'talnet' (did you mean 'talent'?)",
        f"{f}: row 4: unknown label '资助' (did you mean '资金'?)",
        f"{f}: row 5: empty text",
        f"{f}: row 6: duplicate of {f} row 2 (same text and labels)",
        f"{f}: row 7: same text as {f} row 2 but different labels (platform there, finance here)",
    ]


def test_problems_across_files_come_in_one_error(tmp_path: Path, tax: Taxonomy) -> None:
    a = str(DATA / "problems.csv")
    b = str(DATA / "broken.jsonl")
    c = str(DATA / "missing_column.csv")
    d = str(tmp_path / "nowhere.csv")
    e = write(tmp_path, "dup.jsonl", json.dumps({"text": PLAT, "labels": "talent"}) + "\n")
    problems = problems_of([a, b, c, d, e], tax)
    # every file's problems, in file order then row order
    assert [p.split(": row")[0].split(": ")[0] for p in problems] == ([a] * 5 + [b] * 3 + [c, d, e])
    assert f"{d}: file not found" in problems
    assert problems[-1] == (
        f"{e}: row 1: same text as {a} row 2 but different labels (platform there, talent here)"
    )


def test_unknown_label_without_close_match(tmp_path: Path, tax: Taxonomy) -> None:
    path = write(tmp_path, "a.csv", f"text,labels\n{TAL},xyzzy\n")
    [problem] = problems_of(path, tax)
    assert problem == (
        f"{path}: row 2: unknown label 'xyzzy' (valid ids: platform, talent, finance, transfer, "
        "governance; their Chinese and English names are accepted too)"
    )


def test_comma_separated_labels_get_a_hint(tmp_path: Path, tax: Taxonomy) -> None:
    path = write(tmp_path, "a.jsonl", json.dumps({"text": TAL, "labels": "人才,金融"}) + "\n")
    [problem] = problems_of(path, tax)
    assert problem == (
        f"{path}: row 1: unknown label '人才,金融' (separate several labels with ';', "
        "e.g. '人才;金融')"
    )


def test_missing_column_names_what_was_found(tax: Taxonomy) -> None:
    f = DATA / "missing_column.csv"
    assert problems_of(f, tax) == [
        f"{f}: row 1: missing required column 'labels' (columns found: 'text', "
        "'category_name'; accepted names: labels, label, 标签, 类别, categories)"
    ]


def test_ambiguous_columns(tmp_path: Path, tax: Taxonomy) -> None:
    path = write(tmp_path, "a.csv", f"Text,content,labels\n{TAL},x,talent\n")
    [problem] = problems_of(path, tax)
    assert problem == f"{path}: row 1: columns 'Text' and 'content' both name the text; " + (
        "rename or remove one"
    )


def test_semicolon_separated_csv_gets_a_hint(tmp_path: Path, tax: Taxonomy) -> None:
    path = write(tmp_path, "a.csv", f"text;labels\n{TAL};talent\n")
    problems = problems_of(path, tax)
    assert problems[-1] == (
        f"{path}: row 1: the header is separated by ';', not ','; save as CSV with commas"
    )


def test_header_after_blank_lines_keeps_spreadsheet_rows(tmp_path: Path, tax: Taxonomy) -> None:
    path = write(tmp_path, "a.csv", f"\n LABELS ,TEXT,notes\n\n人才,{TAL},x\n,,\n")
    rows = read_labelled(path, tax)
    assert brief(rows) == [(4, ("talent",), None, None)]


def test_gbk_csv(tax: Taxonomy) -> None:
    f = DATA / "gbk.csv"
    assert problems_of(f, tax) == [
        f"{f}: not UTF-8 (first bad byte at offset 12, line 2); if it was saved by Excel on "
        "Chinese Windows it is probably GBK — re-save as UTF-8 or pass encoding='gb18030'"
    ]
    rows = read_labelled(f, tax, encoding="gb18030")
    assert [(r.row, r.text, r.labels) for r in rows] == [
        (2, TAL, ("talent",)),
        (3, FIN, ("finance",)),
    ]


def test_wrong_explicit_encoding(tmp_path: Path, tax: Taxonomy) -> None:
    path = write(tmp_path, "a.csv", b"text,labels\n\x80\xff,talent\n")
    [problem] = problems_of(path, tax, encoding="gb18030")
    assert problem.startswith(f"{path}: not valid gb18030 (first bad byte at offset 12, line 2)")
    with pytest.raises(ValueError, match="unknown encoding"):
        read_labelled(path, tax, encoding="no-such-codec")


def test_bom(tax: Taxonomy) -> None:
    [row] = read_labelled(DATA / "bom.csv", tax)
    assert (row.row, row.text, row.labels) == (2, TAL, ("talent",))


def test_quoted_fields(tax: Taxonomy) -> None:
    rows = read_labelled(DATA / "quoted.csv", tax)
    assert [(r.row, r.text, r.labels) for r in rows] == [
        (2, "第一，支持平台建设, 含英文逗号", ("platform",)),
        (3, '他说"人才是第一资源"。\n第二行：给予补贴。', ("talent",)),
        (4, GOV, ("governance",)),  # a record spanning lines is still one spreadsheet row
    ]


def test_ragged_rows(tax: Taxonomy) -> None:
    f = DATA / "ragged.csv"
    assert problems_of(f, tax) == [
        f"{f}: row 3: has 3 fields but the header has 2 (an unquoted comma inside a cell?)",
        f"{f}: row 4: has 1 field but the header has 2 "
        "(a missing field, or a line break inside an unquoted cell?)",
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (f'"{PLAT},platform\n{TAL},talent\n', 'a quote (") opened in this row is never closed'),
        (f'"{PLAT}"x,platform\n{TAL},talent\n', "',' expected after '\"'"),
    ],
)
def test_malformed_quotes(tmp_path: Path, tax: Taxonomy, content: str, problem: str) -> None:
    path = write(tmp_path, "a.csv", f"text,labels\n{GOV},governance\n" + content)
    assert problems_of(path, tax) == [
        f"{path}: row 3: cannot parse CSV: {problem}; the rest of the file was not read"
    ]


def test_broken_jsonl(tax: Taxonomy) -> None:
    f = DATA / "broken.jsonl"
    assert problems_of(f, tax) == [
        f"{f}: row 2: not valid JSON (Expecting ',' delimiter at column 37)",
        f"{f}: row 3: not a JSON object (got an array)",
        f"{f}: row 4: labels must be a string or a list of strings, got an object: "
        "{'finance': 1}",
    ]


@pytest.mark.parametrize(
    ("obj", "problem"),
    [
        ({"text": 12, "labels": "talent"}, "text must be a string, got a number: 12"),
        ({"text": TAL, "labels": ["talent", 3]}, "labels must be a string or a list of strings"),
        ({"text": TAL, "labels": 1}, "labels must be a string or a list of strings, got a number"),
        ({"text": TAL}, "missing required key 'labels' (keys found: 'text';"),
        ({"text": TAL, "labels": "talent", "id": {"a": 1}}, "id must be a string or a number"),
        ({"text": "\ud800", "labels": ""}, "text contains an invalid character"),
        ({"text": "  ", "labels": ""}, "empty text"),
    ],
)
def test_bad_jsonl_values(tmp_path: Path, tax: Taxonomy, obj: dict, problem: str) -> None:
    path = write(tmp_path, "a.jsonl", json.dumps(obj) + "\n")
    [got] = problems_of(path, tax)
    assert got.startswith(f"{path}: row 1: {problem}")


def test_doccano_sequence_labelling_export(tmp_path: Path, tax: Taxonomy) -> None:
    path = write(tmp_path, "a.jsonl", json.dumps({"text": TAL, "label": [[0, 2, "人才"]]}))
    [problem] = problems_of(path, tax)
    assert "sequence-labelling export" in problem and problem.startswith(f"{path}: row 1:")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "empty file (no header and no data rows)"),
        (" \n\n", "empty file (no header and no data rows)"),
        ("\ufeff\n", "empty file (no header and no data rows)"),
        ("text,labels\n", "no data rows"),
        ("text,labels\n,,\n\n", "no data rows"),
    ],
)
def test_empty(tmp_path: Path, tax: Taxonomy, content: str, problem: str) -> None:
    path = write(tmp_path, "a.csv", content)
    assert problems_of(path, tax) == [f"{path}: {problem}"]


def test_empty_fixtures(tax: Taxonomy) -> None:
    assert problems_of([DATA / "empty.csv", DATA / "header_only.csv"], tax) == [
        f"{DATA / 'empty.csv'}: empty file (no header and no data rows)",
        f"{DATA / 'header_only.csv'}: no data rows",
    ]


def test_unusable_files(tmp_path: Path, tax: Taxonomy) -> None:
    old = write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0")
    doc = write(tmp_path, "notes.docx", "x")
    obj = write(tmp_path, "obj.json", '{\n  "text": "x"\n}\n')
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    valid = write(tmp_path, "ok.csv", f"text,labels\n{TAL},talent\n")
    assert problems_of([old, doc, obj, folder, valid, valid], tax) == [
        f"{old}: the old Excel .xls format is not supported: save as .xlsx or CSV UTF-8",
        f"{doc}: unknown format (extension .docx); supported: .csv, .tsv, .txt (tab- or "
        "comma-separated), .jsonl, .json (Label Studio), .xlsx",
        f"{obj}: unknown format: a .json file must be a Label Studio export (a JSON array of "
        "tasks) or JSON Lines (one object per line)",
        f"{folder}: is a directory, not a file",
        f"{valid}: given twice (also as {valid!r})",
    ]
    with pytest.raises(LabelFileError, match="no labelled-data files given"):
        read_labelled([], tax)


def test_label_studio_problems(tmp_path: Path, tax: Taxonomy) -> None:
    spans = {
        "type": "labels",
        "value": {"start": 0, "end": 2, "labels": ["人才"]},
    }
    tasks = [
        {"id": 1, "text": TAL, "measure": "人才"},  # JSON-MIN export
        {"id": 2, "data": {"text": TAL}, "annotations": [{"result": [spans]}]},
        {"id": 3, "data": {"text": FIN}, "annotations": [{"result": [_choice(["资助"])]}]},
        {"id": 4, "data": {"n": 1}, "annotations": []},
        "not a task",
        {
            "data": {"text": GOV},
            "annotations": [{"result": [{"type": "taxonomy", "value": {"taxonomy": True}}]}],
        },
    ]
    path = write(tmp_path, "ls.json", json.dumps(tasks, ensure_ascii=False))
    assert problems_of(path, tax) == [
        f"{path}: row 1: task has no 'data' object (task id 1); export with Label Studio's "
        "'JSON' format (not JSON-MIN or CSV)",
        f"{path}: row 2: annotation has no 'choices' result (result types found: labels); "
        "policyclf reads labels from a Choices control (task id 2)",
        f"{path}: row 3: unknown label '资助' (did you mean '资金'?) (task id 3)",
        f"{path}: row 4: task data has no text (task id 4)",
        f"{path}: row 5: task is not a JSON object (got a string)",
        f"{path}: row 6: 'taxonomy' is not a list of lists of strings: True",
    ]


def _choice(choices: list[str]) -> dict:
    return {"type": "choices", "from_name": "measure", "value": {"choices": choices}}


def test_label_studio_with_nothing_annotated(tmp_path: Path, tax: Taxonomy) -> None:
    tasks = [{"id": i, "data": {"text": f"{TAL}{i}"}, "annotations": []} for i in range(30)]
    path = write(tmp_path, "ls.json", json.dumps(tasks, ensure_ascii=False))
    with pytest.warns(UserWarning, match=r"skipped 30 task\(s\).*task ids 0, 1, .*, 19 \.\.\."):
        problems = problems_of(path, tax)
    assert problems == [f"{path}: no data rows (no task has a usable annotation)"]


def test_label_studio_taxonomy_control(tmp_path: Path, tax: Taxonomy) -> None:
    result = [{"type": "taxonomy", "value": {"taxonomy": [["金融/资金", "贷款贴息"], ["人才"]]}}]
    tasks = [{"id": 1, "data": {"text": TRFIN}, "annotations": [{"result": result}]}]
    path = write(tmp_path, "ls.json", json.dumps(tasks, ensure_ascii=False))
    assert read_labelled(path, tax)[0].labels == ("talent", "finance")


# --------------------------------------------------------------------------- duplicates


def corpus_row(text: str, labels: tuple[str, ...], rid: str) -> LabelledRow:
    return LabelledRow(text, labels, rid, "jinan-01", "corpus/jinan.jsonl", 1)


def test_conflict_with_corpus(tmp_path: Path, tax: Taxonomy) -> None:
    path = write(tmp_path, "a.csv", f"text,labels\n{PLAT},talent\n{FIN},finance\n")
    against = [corpus_row(PLAT, ("platform",), "jinan-01-1"), corpus_row(FIN, ("finance",), "j2")]
    with pytest.warns(
        UserWarning,
        match=r"1 row\(s\) repeat a bundled row.*row 3 = bundled row j2 \(corpus/jinan\.jsonl\)",
    ):
        problems = problems_of(path, tax, against=iter(against))
    assert problems == [
        f"{path}: row 2: conflicts with bundled row jinan-01-1 (corpus/jinan.jsonl) "
        "(labels platform); this row has labels talent"
    ]


def test_duplicates_across_files(tmp_path: Path, tax: Taxonomy) -> None:
    a = write(tmp_path, "a.csv", f"text,labels\n{PLAT},platform\n{TAL},\n")
    b = write(tmp_path, "b.jsonl", json.dumps({"text": f" {PLAT} ", "labels": ["平台建设"]}))
    c = write(tmp_path, "c.jsonl", json.dumps({"text": TAL, "labels": "talent"}))
    assert problems_of([a, b, c], tax) == [
        f"{b}: row 1: duplicate of {a} row 2 (same text and labels)",
        f"{c}: row 1: same text as {a} row 3 but different labels (none there, talent here)",
    ]


def test_near_duplicates_warn_once_per_pair(tmp_path: Path, tax: Taxonomy) -> None:
    variants = [
        PLAT,
        "支持建设省级重点实验室和工程技术研究中心.",
        "支持建设 省级重点实验室和工程技术研究中心",
    ]
    lines = "".join(f"{v},platform\n" for v in variants) + f"{TAL},talent\n{TAL}。,finance\n"
    path = write(tmp_path, "a.csv", "text,labels\n" + lines)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = read_labelled(path, tax)
    assert len(rows) == 5
    [w] = [w for w in caught if issubclass(w.category, NearDuplicateWarning)]
    message = str(w.message)
    assert message.startswith("3 near-duplicate pair(s)")
    assert f"{path} row 3 ~ {path} row 2; {path} row 4 ~ {path} row 2;" in message
    assert f"{path} row 6 ~ {path} row 5 (labels differ: talent vs finance)" in message
    assert w.filename == __file__  # points at the caller


def test_near_duplicate_of_corpus_row(tmp_path: Path, tax: Taxonomy) -> None:
    path = write(tmp_path, "a.csv", f"text,labels\n“{PLAT}”,platform\n")
    with pytest.warns(NearDuplicateWarning, match=r"row 2 ~ bundled row c-9"):
        read_labelled(path, tax, against=[corpus_row(PLAT, ("platform",), "c-9")])


def test_near_duplicate_listing_is_capped(tmp_path: Path, tax: Taxonomy) -> None:
    lines = "".join(f"{TAL}{i},talent\n{TAL}{i}。,talent\n" for i in range(30))
    path = write(tmp_path, "a.csv", "text,labels\n" + lines)
    with pytest.warns(NearDuplicateWarning, match=r"^30 near-duplicate.*; \.\.\. and 10 more$"):
        read_labelled(path, tax)


def test_problem_list_is_capped(tmp_path: Path, tax: Taxonomy) -> None:
    lines = "".join(f"{TAL}{i},talnet\n" for i in range(1200))
    path = write(tmp_path, "a.csv", "text,labels\n" + lines)
    problems = problems_of(path, tax)
    assert len(problems) == 1001
    assert problems[-1] == "... and 200 more problem(s) not listed"


# --------------------------------------------------------------------------- size, safety


def test_huge_cell(tmp_path: Path, tax: Taxonomy) -> None:
    big = "支持建设重点实验室" * 120_000  # > 1 MB of UTF-8 in one cell
    path = write(tmp_path, "a.csv", f'text,labels\n"{big}",platform\n{TAL},talent\n')
    rows = read_labelled(path, tax)
    assert [(r.row, len(r.text)) for r in rows] == [(2, len(big)), (3, len(TAL))]
    jsonl = write(tmp_path, "a.jsonl", json.dumps({"text": big, "labels": "platform"}))
    assert read_labelled(jsonl, tax)[0].text == big


def _big_csv(path: Path, megabytes: float) -> int:
    base = "支持建设省级重点实验室和工程技术研究中心，对新认定的给予最高500万元资助。" * 4
    labels = ["platform", "talent;finance", "", "人才", "transfer|governance"]
    n = size = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,text,labels,group\n")
        while size < megabytes * 1_000_000:
            line = f"r{n},第{n}条：{base},{labels[n % 5]},doc{n // 50}\n"
            f.write(line)
            size += len(line.encode())
            n += 1
    return n


@pytest.mark.slow
def test_large_file_reads_in_linear_time(tmp_path: Path, tax: Taxonomy) -> None:
    timings = {}
    for mb in (5, 50):
        n = _big_csv(tmp_path / f"{mb}.csv", mb)
        start = time.perf_counter()
        rows = read_labelled(tmp_path / f"{mb}.csv", tax)
        timings[mb] = time.perf_counter() - start
        assert len(rows) == n and rows[-1].row == n + 1
    # 10x the data: about 10x the time (quadratic would be 100x); generous for noisy machines
    assert timings[50] < 25 * timings[5] + 2.0, timings


def _fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
    }


def test_input_files_are_never_modified(tmp_path: Path, tax: Taxonomy) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(DATA, folder)
    old = _fingerprint(folder)
    for path in sorted(folder.iterdir()):
        for encoding in ("utf-8", "gb18030"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with contextlib.suppress(LabelFileError):
                    read_labelled(path, tax, encoding=encoding)
    with pytest.raises(LabelFileError), pytest.warns(UserWarning, match="skipped 2 task"):
        read_labelled(sorted(folder.iterdir()), tax)
    assert _fingerprint(folder) == old
    assert sorted(os.listdir(folder)) == sorted(old)  # no lock or temp files left behind


def test_import_is_light() -> None:
    code = (
        "import sys, policyclf.labelfiles; "
        "print('pandas' in sys.modules, 'openpyxl' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --------------------------------------------------------------------------- fuzzing

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _read_or_error(path: str, tax: Taxonomy, encoding: str = "utf-8") -> list[LabelledRow]:
    """Either rows that satisfy the contract, or a LabelFileError; anything else fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            rows = read_labelled(path, tax, encoding=encoding)
        except LabelFileError as e:
            assert e.problems and all(isinstance(p, str) and p for p in e.problems)
            return []
    for r in rows:
        assert r.text and r.text == r.text.strip() and r.row >= 1 and r.source == path
        assert r.labels == tuple(i for i in IDS if i in r.labels)
    return rows


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".jsonl", ".tsv", ".json"]))
def test_fuzz_arbitrary_bytes(tmp_path: Path, tax: Taxonomy, data: bytes, suffix: str) -> None:
    path = write(tmp_path, "fuzz" + suffix, data)
    _read_or_error(path, tax)
    _read_or_error(path, tax, encoding="gb18030")


PIECES = st.sampled_from(
    ["text", "labels", "label", "id", "文本", "标签", ",", "\t", '"', "\n", "\r\n", ";", "；",
     "|", "人才", "talent", "talnet", "金融/资金", " ", "{", "}", "[", "]", ":", "null",
     '"text"', '"labels"', '"label"', '"data"', '"annotations"', "\ufeff", "\x00", "。"]
)  # fmt: skip


@FUZZ
@given(
    parts=st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=60),
    suffix=st.sampled_from([".csv", ".jsonl", ".txt", ".json"]),
)
def test_fuzz_structured_text(tmp_path: Path, tax: Taxonomy, parts: list[str], suffix: str) -> None:
    path = write(tmp_path, "fuzz" + suffix, "".join(parts).encode("utf-8", "surrogatepass"))
    _read_or_error(path, tax)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
KEYS = st.sampled_from(["text", "labels", "label", "id", "group", "data", "annotations", "内容"])


@FUZZ
@given(objs=st.lists(st.dictionaries(KEYS, JSON_VALUES | st.sampled_from(["人才", "talent;x"]))))
def test_fuzz_json_objects(tmp_path: Path, tax: Taxonomy, objs: list[dict]) -> None:
    lines = "\n".join(json.dumps(o, ensure_ascii=False) for o in objs)
    _read_or_error(write(tmp_path, "fuzz.jsonl", lines.encode("utf-8", "surrogatepass")), tax)
    tasks = json.dumps(objs, ensure_ascii=False).encode("utf-8", "surrogatepass")
    _read_or_error(write(tmp_path, "fuzz.json", tasks), tax)


LS_RESULT = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["choices", "taxonomy", "labels", "textarea"]),
        "value": st.dictionaries(
            st.sampled_from(["choices", "taxonomy", "text"]),
            JSON_VALUES
            | st.lists(st.sampled_from(["人才", "talent", "x"]), max_size=2)
            | st.lists(st.lists(st.sampled_from(["人才", "x"]), max_size=2), max_size=2),
            max_size=2,
        ),
    }
)
LS_TASK = st.fixed_dictionaries(
    {"id": st.integers() | st.none(), "data": st.dictionaries(KEYS, JSON_VALUES | st.just(TAL))},
    optional={
        "annotations": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "was_cancelled": st.booleans(),
                    "created_at": JSON_VALUES,
                    "result": st.lists(LS_RESULT | JSON_VALUES, max_size=3) | JSON_VALUES,
                },
            ),
            max_size=3,
        )
        | JSON_VALUES
    },
)


@FUZZ
@given(tasks=st.lists(LS_TASK | JSON_VALUES, max_size=5))
def test_fuzz_label_studio_tasks(tmp_path: Path, tax: Taxonomy, tasks: list) -> None:
    blob = json.dumps(tasks, ensure_ascii=False).encode("utf-8", "surrogatepass")
    _read_or_error(write(tmp_path, "fuzz.json", blob), tax)


ROW_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30).filter(
    lambda s: s.strip()
)
ROW_LABELS = st.lists(st.sampled_from(IDS), unique=True, max_size=3)


@FUZZ
@given(
    rows=st.lists(
        st.tuples(ROW_TEXT, ROW_LABELS), min_size=1, max_size=8, unique_by=lambda r: r[0].strip()
    ),
    delimiter=st.sampled_from([",", "\t"]),
)
def test_fuzz_written_rows_round_trip(
    tmp_path: Path, tax: Taxonomy, rows: list[tuple[str, list[str]]], delimiter: str
) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    writer.writerow(["text", "labels"])
    writer.writerows([text, ";".join(labels)] for text, labels in rows)
    expected = [(t.strip(), tuple(i for i in IDS if i in labels)) for t, labels in rows]
    suffix = ".tsv" if delimiter == "\t" else ".csv"
    got = _read_or_error(write(tmp_path, "rows" + suffix, buf.getvalue()), tax)
    assert [(r.text, r.labels) for r in got] == expected
    jsonl = "\n".join(
        json.dumps({"text": t, "labels": labels}, ensure_ascii=False) for t, labels in rows
    )
    got = _read_or_error(write(tmp_path, "rows.jsonl", jsonl), tax)
    assert [(r.text, r.labels) for r in got] == expected
