"""``policyclf profile``: table and plot files, refusing to overwrite, errors reported."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from policyclf.cli.main import main

from .conftest import SENTENCES


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    s = SENTENCES
    for year, text in ((2015, s["talent"] + s["none"]), (2016, s["platform"] + s["transfer"])):
        (d / f"notice-{year}.txt").write_text(text, encoding="utf-8")
    (d / "broken.docx").write_bytes(b"PK\x03\x04 broken")
    (d / "metadata.csv").write_text(
        "file,year\nnotice-2015.txt,2015\nnotice-2016.txt,2016\nbroken.docx,2016\n",
        encoding="utf-8",
    )
    return d


pytest.importorskip("matplotlib")


def test_table_and_plot_files(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, fig = tmp_path / "mix.csv", tmp_path / "mix.svg"
    code, stdout, err = _run(
        capsys,
        "profile",
        str(folder),
        "--by",
        "year",
        "-o",
        str(out),
        "--plot",
        str(fig),
        "--n-boot",
        "50",
    )
    assert code == 0, err
    assert stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert {r["group"] for r in rows} == {"2015", "2016"}
    assert {r["label"] for r in rows} == {"platform", "talent", "finance", "transfer", "governance"}
    assert fig.read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
    assert "1 document(s) could not be read" in err and "broken.docx" in err
    assert "2 documents" in err


def test_excel_output_has_the_errors_sheet(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mix.xlsx"
    code, _, err = _run(
        capsys, "profile", str(folder), "--by", "year", "-o", str(out), "--n-boot", "0"
    )
    assert code == 0, err
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets["errors"].doc) == ["broken.docx"]
    assert sheets["profile"].ci_low.isna().all()  # --n-boot 0: no intervals


def test_refuses_to_overwrite_and_unknown_extensions(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mix.csv"
    out.write_text("keep", encoding="utf-8")
    code, _, err = _run(capsys, "profile", str(folder), "-o", str(out))
    assert code == 1 and "already exists" in err and "--force" in err
    assert out.read_text(encoding="utf-8") == "keep"
    code, _, err = _run(capsys, "profile", str(folder), "-o", str(out), "--force", "--n-boot", "10")
    assert code == 0 and out.read_text(encoding="utf-8-sig").startswith("group,label")
    code, _, err = _run(capsys, "profile", str(folder), "-o", str(tmp_path / "mix.json"))
    assert code == 2 and ".csv, .xlsx" in err
    code, _, err = _run(capsys, "profile", str(folder), "--plot", str(tmp_path / "mix.gif"))
    assert code == 2 and ".png" in err
    assert not (tmp_path / "mix.json").exists() and not (tmp_path / "mix.gif").exists()


def test_piped_output_is_csv_and_several_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(SENTENCES["talent"], encoding="utf-8")
    b.write_text(SENTENCES["platform"], encoding="utf-8")
    code, stdout, err = _run(capsys, "profile", str(a), str(b), "--by", "doc", "--n-boot", "10")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(stdout))
    assert set(table.group) == {str(a), str(b)}
    assert table.n_docs.eq(1).all()


def test_table_of_documents_with_ids_and_paragraph_units(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "docs.jsonl"
    rows = [{"id": f"d{i}", "year": 2020 + i % 2, "text": SENTENCES["transfer"]} for i in range(4)]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    code, stdout, err = _run(
        capsys,
        "profile",
        str(f),
        "--id-col",
        "id",
        "--by",
        "year",
        "--unit",
        "paragraph",
        "--n-boot",
        "10",
    )
    assert code == 0, err
    table = pd.read_csv(io.StringIO(stdout))
    t = table[table.label == "transfer"]
    assert list(t.group) == [2020, 2021] and t.share.eq(1.0).all()
    assert table.adjusted_share.isna().all() and "raw shares" in err  # the default
    code, stdout, err = _run(
        capsys, "profile", str(f), "--id-col", "id", "--method", "acc", "--n-boot", "10"
    )
    assert code == 0 and "adjusted (acc)" in err
    assert pd.read_csv(io.StringIO(stdout)).adjusted_share.notna().all()


def test_missing_source_and_bad_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "profile", str(tmp_path / "nope"))
    assert code == 1 and "nope" in err
    (tmp_path / "a.txt").write_text(SENTENCES["talent"], encoding="utf-8")
    code, _, err = _run(capsys, "profile", str(tmp_path / "a.txt"), "--by", "province")
    assert code == 1 and "province" in err


def test_terminal_table_format(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("policyclf.cli.profile.stdout_is_terminal", lambda: True)
    code, stdout, _ = _run(capsys, "profile", str(folder), "--by", "year", "--n-boot", "20")
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0].split()[:2] == ["year", "sentences"]
    assert lines[1].startswith("2015") and "%" in lines[1]


def test_a_mixed_folder_of_txt_html_docx_and_pdf_by_year(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docx = pytest.importorskip("docx")
    pytest.importorskip("pypdf")
    from pdf_fixtures import text_pdf

    s = SENTENCES
    d = tmp_path / "docs"
    d.mkdir()
    (d / "a.txt").write_text(s["talent"] + s["none"], encoding="utf-8")
    (d / "b.html").write_text(
        '<html><head><meta name="PubDate" content="2019-05-06"><title>通知</title></head>'
        f"<body><p>{s['platform']}</p><p>{s['transfer']}</p></body></html>",
        encoding="utf-8",
    )
    word = docx.Document()
    word.add_paragraph(s["governance"])
    word.save(str(d / "c.docx"))
    (d / "d.pdf").write_bytes(text_pdf([[s["transfer"], s["talent"]]]))
    (d / "metadata.csv").write_text(
        "file,year\na.txt,2018\nc.docx,2019\nd.pdf,2020\n", encoding="utf-8"
    )
    png = tmp_path / "mix.png"
    code, stdout, err = _run(
        capsys, "profile", str(d), "--by", "year", "--plot", str(png), "--n-boot", "20"
    )
    assert code == 0, err
    assert png.read_bytes().startswith(b"\x89PNG")
    table = pd.read_csv(io.StringIO(stdout))
    assert table.n_docs.groupby(table.group).first().to_dict() == {2018: 1, 2019: 2, 2020: 1}
    assert "could not be read" not in err
