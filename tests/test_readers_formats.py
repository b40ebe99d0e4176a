"""HTML, Word and PDF documents; files that cannot be read get one clear error each."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from pdf_fixtures import encrypted_pdf, image_only_pdf, text_pdf

import policyclf
from policyclf.exceptions import DocumentReadError, MissingDependencyError
from policyclf.readers import read_corpus, read_file
from policyclf.readers.html import parse_html

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>关于支持科技创新的若干措施_某省人民政府门户网站</title>
<meta name="PubDate" content="2019-04-02 10:00">
<script>document.write("<p>脚本里的字。</p>");</script>
<style>p { color: red }</style></head>
<body>
<div class="header">网站首页 政务公开 互动交流</div>
<div class="nav"><ul><li>首页<li>政策文件<li>解读</ul></div>
<div class="position">您现在所在的位置：首页 &gt; 政务公开 &gt; 政策文件</div>
<div class="article">
<h1>关于支持科技创新的若干措施</h1>
<table class="info">
<tr><td>索引号：</td><td>000/2019-00012</td><td>发文字号：</td><td>某政发〔2019〕5号</td></tr>
<tr><td>发布机构：</td><td>某省人民政府</td><td>发布日期：</td><td>2019-04-02</td></tr>
</table>
<p>【字体：<a>大</a> <a>中</a> <a>小</a>】 <a>打印本页</a> <a>关闭窗口</a></p>
<p>各市人民政府：</p>
<h2>一、加强平台建设</h2>
<p>（一）建设重点实验室。对新建省级重点实验室给予500万元支持。</p>
<p>对新认定的新型研发机构，按其上年度研发投入的<br>10%给予补助。</p>
<h3>保障措施</h3>
<p>加强组织领导。</p>
<table><tr><td>项目</td><td>补助标准</td></tr><tr><td>重点实验室</td><td>500万元</td></tr></table>
</div>
<div class="share">分享到：微信 微博</div>
<div class="footer">版权所有：某省人民政府办公厅 网站标识码：0000000000</div>
</body></html>"""


# ----------------------------------------------------------------------------------- HTML


def test_html_keeps_the_document_and_drops_page_chrome_and_furniture() -> None:
    d = parse_html(PAGE, source="page.html")
    assert d.format == "html"
    assert "脚本" not in d.text and "color" not in d.text  # scripts and styles
    assert "互动交流" not in d.text and "解读" not in d.text  # header and navigation
    assert "分享到" not in d.text and "版权所有" not in d.text  # share box and footer
    texts = [p.text for p in d.paragraphs]
    assert not any("索引号" in t or "打印本页" in t or "字体" in t for t in texts)
    assert {x.kind for x in d.dropped} == {"furniture"}
    assert texts[0] == "各市人民政府："
    # a <br> inside a sentence does not split it
    assert "对新认定的新型研发机构，按其上年度研发投入的10%给予补助。" in texts
    assert "项目\t补助标准" in texts  # a table row is one line, cells joined by a tab


def test_html_headings_from_h_tags_and_numbers() -> None:
    d = parse_html(PAGE)
    assert [(h.text, h.style) for h in d.headings] == [
        ("关于支持科技创新的若干措施", "document"),
        ("一、加强平台建设", "cn_num"),
        ("（一）建设重点实验室。", "cn_paren"),  # an inline heading inside a <p>
        ("保障措施", "section"),  # an unnumbered <h3>
    ]
    body = next(p for p in d.paragraphs if p.text.startswith("对新建省级"))
    assert body.headings[1:] == ("一、加强平台建设", "（一）建设重点实验室。")
    last = next(p for p in d.paragraphs if p.text == "加强组织领导。")
    assert last.headings[-1] == "保障措施"


def test_html_metadata_from_meta_tags_and_the_information_box() -> None:
    d = parse_html(PAGE)
    assert dict(d.metadata) == {
        "title": "关于支持科技创新的若干措施",
        "date": "2019-04-02",
        "issuer": "某省人民政府",
        "doc_number": "某政发〔2019〕5号",
    }


def test_html_information_box_outside_the_article_gives_metadata() -> None:
    page = (
        "<html><body><table class='xxgk'><tr><td>发文字号：</td><td>某政办字〔2021〕8号</td>"
        "<td>成文日期：</td><td>2021年5月6日</td></tr></table>"
        "<div id='zoom'><p>某市关于支持人才发展的通知</p><p>对引进人才给予补贴。</p></div>"
        "<div class='footer'>主办：某市人民政府办公室</div></body></html>"
    )
    d = parse_html(page)
    assert [p.text for p in d.paragraphs] == ["对引进人才给予补贴。"]
    assert d.metadata["doc_number"] == "某政办字〔2021〕8号"
    assert d.metadata["date"] == "2021-05-06"
    assert d.metadata["title"] == "某市关于支持人才发展的通知"


def test_html_file_in_gbk_with_a_meta_charset(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_bytes(PAGE.replace("utf-8", "gbk").encode("gbk"))
    d = read_file(path)
    assert d.encoding == "gb18030"
    assert d.metadata["doc_number"] == "某政发〔2019〕5号"
    assert d.source == str(path)


def test_broken_markup_is_read() -> None:
    d = parse_html("<div><p>一、总体要求<p>加强统筹协调。<li>完善政策体系。</div></span><p>未闭合")
    assert [h.text for h in d.headings] == ["一、总体要求"]
    assert [p.text for p in d.paragraphs] == ["加强统筹协调。", "完善政策体系。", "未闭合"]


# ----------------------------------------------------------------------------------- Word


def _docx(path: Path, *, title: str = "") -> Path:
    docx = pytest.importorskip("docx")
    word = docx.Document()
    if title:
        word.core_properties.title = title
    word.add_heading("某市促进科技成果转化若干措施", level=1)
    word.add_paragraph("为加快科技成果转化，制定本措施。")
    word.add_heading("支持技术转移机构", level=2)
    word.add_paragraph("对新认定的技术转移示范机构给予50万元奖励。")
    word.add_paragraph("（一）培育技术经纪人。对取得资格的技术经纪人给予培训补贴。")
    table = word.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "事项"
    table.cell(0, 1).text = "奖励"
    table.cell(1, 0).text = "技术合同登记"
    table.cell(1, 1).text = "按成交额给予补助"
    word.add_paragraph("本措施自印发之日起施行。")
    word.save(str(path))
    return path


def test_docx_paragraphs_heading_styles_and_tables(tmp_path: Path) -> None:
    d = read_file(_docx(tmp_path / "措施.docx", title="属性里的标题"))
    assert d.format == "docx"
    assert [(h.text, h.style) for h in d.headings] == [
        ("某市促进科技成果转化若干措施", "document"),
        ("支持技术转移机构", "chapter"),
        ("（一）培育技术经纪人。", "cn_paren"),
    ]
    texts = [p.text for p in d.paragraphs]
    assert texts == [
        "为加快科技成果转化，制定本措施。",
        "对新认定的技术转移示范机构给予50万元奖励。",
        "对取得资格的技术经纪人给予培训补贴。",
        "事项\t奖励",
        "技术合同登记\t按成交额给予补助",
        "本措施自印发之日起施行。",
    ]
    assert d.metadata["title"] == "属性里的标题"  # the file's declared title wins
    # tag_document reads Word files too
    tags = policyclf.load().tag_document(tmp_path / "措施.docx")
    assert len(tags.paragraphs) == 6


def test_docx_without_python_docx_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    path = _docx(tmp_path / "a.docx")
    monkeypatch.setitem(sys.modules, "docx", None)  # makes `import docx` fail
    with pytest.raises(MissingDependencyError, match=r'pip install "policyclf\[docx\]"'):
        read_file(path)


def test_zip_bomb_posing_as_docx_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (20 * 2**20))
    assert path.stat().st_size < 100_000
    with pytest.raises(DocumentReadError, match=r"refused as a zip bomb: part word/document\.xml"):
        read_file(path)


def test_docx_with_an_entity_bomb_is_refused(tmp_path: Path) -> None:
    good = zipfile.ZipFile(_docx(tmp_path / "good.docx"))
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {n} "{("&" + p + ";") * 10}">' for p, n in zip("abcdefg", "bcdefgh", strict=True)
    )
    xml = good.read("word/document.xml").decode("utf-8")
    body = xml[xml.index("<w:document") :].replace("本措施自印发之日起施行。", "&h;")
    bomb = tmp_path / "lol.docx"
    with zipfile.ZipFile(bomb, "w") as archive:
        for info in good.infolist():
            data = good.read(info.filename)
            if info.filename == "word/document.xml":
                data = f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>{body}'.encode()
            archive.writestr(info, data)
    with pytest.raises(DocumentReadError, match=r"lol\.docx: not a readable Word \.docx file"):
        read_file(bomb)


def test_corrupt_docx(tmp_path: Path) -> None:
    good = _docx(tmp_path / "good.docx").read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(DocumentReadError, match=r"cut\.docx: not a valid Word \.docx file"):
        read_file(path)


# ------------------------------------------------------------------------------------ PDF

PDF_PAGES = [
    [
        "关于支持科技创新的若干措施",
        "一、加强平台建设",
        "对新建省级重点实验室给予五百万元支持，对新认定的新型研发机构按其",
        "上年度研发投入给予补助。",
        "二、人才支持",
    ],
    ["对引进的高层次人才给予安家补贴。", "3"],
]


def test_pdf_text_layer_lines_joined_into_paragraphs(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    path = tmp_path / "措施.pdf"
    path.write_bytes(text_pdf(PDF_PAGES, title="文件属性标题"))
    d = read_file(path)
    assert d.format == "pdf"
    assert [h.text for h in d.headings] == [
        "关于支持科技创新的若干措施",
        "一、加强平台建设",
        "二、人才支持",
    ]
    assert [p.text for p in d.paragraphs] == [
        "对新建省级重点实验室给予五百万元支持，对新认定的新型研发机构按其上年度研发投入给予补助。",
        "对引进的高层次人才给予安家补贴。",  # the page number "3" is dropped
    ]
    assert d.metadata["title"] == "文件属性标题"


def test_pdf_running_headers_and_converter_titles_are_dropped(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    header = "某省科学技术厅文件"
    pages = [
        [header, "一、总体要求", "加强统筹协调。", "1"],
        [header, "二、主要任务", "建设创新平台。", "2"],
        [header, "三、保障措施", "加强组织领导。", "3"],
    ]
    path = tmp_path / "running.pdf"
    path.write_bytes(text_pdf(pages, title="Microsoft Word - tongzhi.docx"))
    d = read_file(path)
    assert header not in d.text
    assert [p.text for p in d.paragraphs] == ["加强统筹协调。", "建设创新平台。", "加强组织领导。"]
    assert d.metadata["title"] == ""


def test_image_only_pdf_says_there_is_no_text_layer(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    path = tmp_path / "scan.pdf"
    path.write_bytes(image_only_pdf())
    with pytest.raises(DocumentReadError) as info:
        read_file(path)
    assert str(info.value).startswith(f"{path}: the PDF has no text layer")
    assert "does not do OCR" in str(info.value)


def test_password_protected_pdf(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    path = tmp_path / "locked.pdf"
    encrypted_pdf(path, [["加密的文件内容。"]])
    with pytest.raises(DocumentReadError, match=r"locked\.pdf: the PDF is encrypted"):
        read_file(path)


# ---------------------------------------------------------------------- nothing lost


def test_folder_with_every_kind_of_bad_file_gives_one_error_row_each(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    root = tmp_path / "docs"
    root.mkdir()
    (root / "good.txt").write_text("一、总体要求\n加强统筹协调。\n", encoding="utf-8")
    (root / "page.html").write_text(PAGE, encoding="utf-8")
    _docx(root / "word.docx")
    (root / "text.pdf").write_bytes(text_pdf(PDF_PAGES))
    good = (root / "word.docx").read_bytes()
    (root / "corrupt.docx").write_bytes(good[: len(good) // 3])
    with zipfile.ZipFile(root / "bomb.docx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (20 * 2**20))
    encrypted_pdf(root / "locked.pdf", [["加密。"]])
    (root / "scan.pdf").write_bytes(image_only_pdf())
    with (root / "huge.html").open("wb") as fh:  # 100 MB, sparse: nothing is written or read
        fh.write(b"<html><body><p>")
        fh.truncate(100 * 2**20)
    (root / "really_pdf.docx").write_bytes(text_pdf(PDF_PAGES))
    (root / "bad_encoding.txt").write_bytes(b"\xff\xfe\x00\xd8\x81\x30")
    docs = read_corpus(root)
    assert len(docs) == 11
    errors = dict(zip(docs["doc"], docs["error"], strict=True))
    for ok in ("good.txt", "page.html", "word.docx", "text.pdf"):
        assert errors.pop(ok) == "", ok
    reasons = {
        "corrupt.docx": "not a valid Word .docx file",
        "bomb.docx": "refused as a zip bomb",
        "locked.pdf": "the PDF is encrypted",
        "scan.pdf": "the PDF has no text layer",
        "huge.html": "the file is 100.0 MiB, over the 20.0 MiB limit for html documents",
        "really_pdf.docx": "the content is a PDF file (rename it .pdf)",
        "bad_encoding.txt": "invalid UTF-16",
    }
    assert set(errors) == set(reasons)
    for doc, reason in reasons.items():
        assert errors[doc].startswith(str(root / doc) + ": "), errors[doc]
        assert reason in errors[doc], errors[doc]
    formats = dict(zip(docs["doc"], docs["format"], strict=True))
    assert formats["page.html"] == "html" and formats["word.docx"] == "docx"
    assert formats["text.pdf"] == "pdf"
