"""Tests for policyclf.reader: the corpus document, other layouts, sentences, encodings."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyclf.reader import (
    HEADING_LEVELS,
    Document,
    Dropped,
    Heading,
    Paragraph,
    Sentence,
    decode_bytes,
    parse_document,
    read_document,
    split_sentences,
)
from policyclf.resources import data_path

RAW = data_path("corpus", "raw", "000_da80483b1a4d3646.txt")
DOCS = Path(__file__).parent / "data" / "documents"
WATERMARK = "9+xBPJGS2Ti9ebSAyokGqDOf8W+8Bh2tJeRjyohmyr7CNiKviD54AzyJX0bqPo5a"


@pytest.fixture(scope="module")
def doc() -> Document:
    return read_document(RAW)


def assert_offsets(d: Document) -> None:
    """Every part's text is the document text at its offsets; parts are ordered and disjoint."""
    parts: list[Heading | Paragraph | Sentence | Dropped] = [
        *d.headings,
        *d.paragraphs,
        *d.sentences,
        *d.dropped,
    ]
    for obj in parts:
        assert d.text[obj.start : obj.end] == obj.text, obj
        assert obj.start < obj.end
    prev_end = 0
    for p in d.paragraphs:
        assert p.start >= prev_end
        prev_end = p.end
        s_end = p.start
        for s in p.sentences:
            assert p.start <= s.start and s.end <= p.end
            assert s.start >= s_end
            assert s.text == s.text.strip()
            s_end = s.end
    blocks = sorted(
        [(h.start, h.end) for h in d.headings]
        + [(p.start, p.end) for p in d.paragraphs]
        + [(x.start, x.end) for x in d.dropped if x.kind != "watermark"]
    )
    for (_, a_end), (b_start, _) in itertools.pairwise(blocks):
        assert a_end <= b_start


# --------------------------------------------------------------------------------------------
# The corpus document


def test_corpus_offsets_round_trip(doc: Document) -> None:
    assert doc.source == str(RAW)
    assert doc.encoding == "utf-8"
    assert doc.text == RAW.read_bytes().decode("utf-8")
    assert_offsets(doc)
    assert doc.sentences == tuple(s for p in doc.paragraphs for s in p.sentences)


def test_corpus_residue_and_watermark_are_dropped_and_reported(doc: Document) -> None:
    residue = [x.text for x in doc.dropped if x.kind == "residue"]
    assert residue == [
        "购买",
        "下载掌阅APP,畅读海量书库",
        "立即打开",
        "畅读海量书库",
        "扫码下载掌阅APP",
        "点击中间区域",
        "呼出菜单",
        "上一章",
        "目录",
        "下一章",
        "×",
    ]
    watermarks = [x for x in doc.dropped if x.kind == "watermark"]
    assert [w.text for w in watermarks] == [WATERMARK]
    last = doc.paragraphs[-1]
    assert last.text.endswith("的全产业链条。")
    assert watermarks[0].start > last.end
    for p in doc.paragraphs:
        assert WATERMARK not in p.text
        for x in doc.dropped:
            assert x.end <= p.start or x.start >= p.end
        for word in ("APP", "掌阅", "立即打开", "呼出菜单", "上一章", "下一章", "×"):
            assert word not in p.text


def test_corpus_has_41_paragraphs_by_city(doc: Document) -> None:
    assert len(doc.paragraphs) == 41
    assert [p.index for p in doc.paragraphs] == list(range(41))
    cities = Counter(p.headings[2] for p in doc.paragraphs)
    assert cities == {"一、济南市": 14, "二、郑州市": 6, "三、常州市": 10, "四、晋江市": 11}
    for p in doc.paragraphs:
        assert p.headings[:2] == ("第四节", "实施创新驱动发展战略的地方实践")


def test_corpus_headings(doc: Document) -> None:
    styles = [(h.style, h.level) for h in doc.headings]
    assert styles[:3] == [("section", 2), ("title", 3), ("cn_num", 4)]
    cities = [h for h in doc.headings if h.style == "cn_num"]
    assert [h.title for h in cities] == ["济南市", "郑州市", "常州市", "晋江市"]
    assert all(h.parent is not None for h in cities)
    assert all(doc.headings[h.parent or 0].text == "实施创新驱动发展战略的地方实践" for h in cities)
    subsections = [h for h in doc.headings if h.style == "arabic_paren"]
    assert len(subsections) == 4 + 5 + 4 + 3
    assert subsections[0].text == "(1)聚力建设中科院科创城,打造重大科创资源集聚区"
    assert subsections[0].marker == "(1)"
    assert len(doc.headings) == 2 + 4 + 16

    (root,) = doc.heading_tree()
    assert root.heading.text == "第四节"
    (title,) = root.children
    assert [c.heading.title for c in title.children] == ["济南市", "郑州市", "常州市", "晋江市"]
    assert [len(c.children) for c in title.children] == [4, 5, 4, 3]

    p = doc.paragraphs[2]
    assert p.headings[-2:] == ("一、济南市", "(1)聚力建设中科院科创城,打造重大科创资源集聚区")
    assert [h.text for h in doc.heading_path(p)] == list(p.headings)
    assert doc.paragraphs[0].headings == ("第四节", "实施创新驱动发展战略的地方实践", "一、济南市")


def test_corpus_headings_are_not_paragraphs(doc: Document) -> None:
    heading_texts = {h.text for h in doc.headings}
    for p in doc.paragraphs:
        assert p.text not in heading_texts
        assert not p.text.startswith(("(", "（", "第四节", "一、", "二、", "三、", "四、"))


def test_corpus_leads(doc: Document) -> None:
    jinjiang = [p for p in doc.paragraphs if p.headings[2] == "四、晋江市"]
    assert jinjiang[0].lead is None
    assert [p.lead[:2] for p in jinjiang[1:] if p.lead] == [
        "一是", "二是", "三是", "一是", "二是", "三是", "一是", "二是", "三是", "四是",
    ]  # fmt: skip
    assert jinjiang[1].lead == "一是构建强力的工作机制。"
    assert doc.paragraphs[2].lead == "科学布局,创新合作模式。"
    assert doc.paragraphs[0].lead is None
    for p in doc.paragraphs:
        if p.lead is not None:
            assert p.text.startswith(p.lead) and len(p.lead) <= 20
            assert p.sentences[0].text == p.lead


def test_corpus_sentences(doc: Document) -> None:
    texts = [s.text for s in doc.sentences]
    # numbers with a plain space stay whole, half-width ; splits
    assert "近三年来,挂牌知识产权及科技金融项目1 368项,挂牌金额95.28亿元;" in texts
    assert "成交457宗,成交金额36.05亿元。" in texts
    # a ; inside parentheses does not split
    long = next(t for t in texts if t.startswith("坚持系统思维"))
    assert long.endswith("全方位、立体式支持科技创新。") and "制定16项措施;“N”即" in long
    # 《…》 titles stay inside their sentence
    assert any(t.startswith("先后发布修订《济南市科技计划项目揭榜挂帅实施方案》") for t in texts)
    for p in doc.paragraphs:
        # sentences cover every non-whitespace character of the paragraph
        covered = "".join(s.text for s in p.sentences)
        assert "".join(covered.split()) == "".join(p.text.split())


def test_corpus_keeps_real_latin(doc: Document) -> None:
    body = "".join(p.text for p in doc.paragraphs)
    for word in ("IGBT", "MEMS", "CAD", "5G", "UU跑腿", "TPU", "GDP", "E贷"):
        assert word in body


# --------------------------------------------------------------------------------------------
# Other layouts (fixtures written for these tests)


def test_national_outline_headings_and_numbered_paragraphs() -> None:
    d = read_document(DOCS / "national_outline.txt")
    assert_offsets(d)
    by_text = {h.text: h for h in d.headings}
    assert d.headings[0].style == "document"
    assert d.headings[0].text == "关于推进县域农业科技服务体系建设的指导意见"
    assert by_text["一、总体要求"].level == HEADING_LEVELS["cn_num"]
    assert by_text["（一）指导思想"].style == "cn_paren"
    assert by_text["1. 推行“专家＋农技人员＋示范户”服务模式"].style == "arabic"
    assert by_text["（1）建设农技服务云平台"].style == "arabic_paren"
    parent = by_text["（1）建设农技服务云平台"].parent
    assert parent is not None and d.headings[parent].text == "2. 发展数字化服务"

    texts = [p.text for p in d.paragraphs]
    # the document number line is page furniture, kept as metadata
    assert "农科发〔2024〕12号" not in texts
    assert d.metadata["doc_number"] == "农科发〔2024〕12号"
    assert ("furniture", "农科发〔2024〕12号") in [(x.kind, x.text) for x in d.dropped]
    # a numbered line with an inline heading: heading + body paragraph under it
    run_in = next(p for p in d.paragraphs if p.headings[-1] == "（一）健全县乡两级农技推广机构。")
    assert run_in.headings[-2] == "二、重点任务"
    numbered = next(p for p in d.paragraphs if p.headings[-1] == "3．完善激励机制。")
    assert numbered.headings[-2] == "（二）创新农技服务方式"
    assert tuple(h.text for h in d.heading_path(numbered)) == numbered.headings
    training = next(p for p in d.paragraphs if p.text.startswith("每年"))
    assert [s.text for s in training.sentences] == [
        "每年对基层农技人员开展不少于五天的脱产培训，重点提升数字技术应用能力！",
        "培训合格的，是否颁发结业证书？",
        "由各省自行确定。",
    ]


def test_regulation_chapters_sections_and_title() -> None:
    d = read_document(DOCS / "regulation_chapters.txt")
    assert_offsets(d)
    assert [(h.style, h.text) for h in d.headings] == [
        ("document", "市级科普教育基地管理办法"),
        ("chapter", "第一章\u3000总则"),
        ("chapter", "第二章\u3000认定与管理"),
        ("section", "第一节\u3000申报条件"),
        ("section", "第二节\u3000日常管理"),
        ("chapter", "第三章"),
        ("title", "支持措施"),
        ("chapter", "第四章\u3000附则"),
    ]
    assert d.headings[6].parent == 5 and d.headings[3].parent == 2 and d.headings[4].parent == 2
    assert len(d.paragraphs) == 7
    assert all(p.text.startswith("第") and "条" in p.text[:4] for p in d.paragraphs)
    assert d.paragraphs[5].headings == ("市级科普教育基地管理办法", "第三章", "支持措施")
    assert [s.text for s in d.paragraphs[2].sentences][1:] == [
        "（二）有固定的科普展示场所；",
        "（三）每年面向公众开放不少于六十天。",
    ]


def test_wrapped_crlf_document() -> None:
    d = read_document(DOCS / "wrapped_crlf.txt")
    assert "\r\n" in d.text  # the fixture must keep its CRLF line endings
    assert_offsets(d)
    assert [h.text for h in d.headings] == [
        "生态环境监测数据质量提升行动方案",
        "一、工作目标",
        "二、主要举措",
        "（一）压实监测机构主体责任。",
        "（二）推进自动监测设施联网。",
        "（三）强化科技支撑。",
    ]
    assert len(d.paragraphs) == 4
    first = d.paragraphs[0]
    assert first.text == (
        "到2026年底，全省生态环境监测网络基本实现要素全覆盖，监测数据\r\n"
        "真实、准确、完整率稳定在百分之九十八以上，数据弄虚作假行为得到有\r\n"
        "效遏制。"
    )
    assert d.text[first.start - 2 : first.start] == "\u3000\u3000"
    for p in d.paragraphs:
        assert not p.text.startswith("\u3000")
    assert [x.kind for x in d.dropped] == [
        "furniture",
        "watermark",
        "residue",
        "residue",
        "residue",
    ]
    third = d.paragraphs[2]
    assert third.text.endswith("开展日常校准。")
    assert "Qm9v" not in third.text
    last = d.paragraphs[3]
    # an inline heading: the numbered heading is a heading, the rest of its line body text
    assert last.headings[-1] == "（三）强化科技支撑。"
    assert not last.text.startswith("（三）")
    assert last.sentences[0].text.endswith("等手段？！")
    assert last.sentences[1].text == "鼓励企业研发国产化监测仪器。"


def test_department_plain_one_line_per_paragraph() -> None:
    d = read_document(DOCS / "department_plain.txt")
    assert_offsets(d)
    assert [h.style for h in d.headings] == [
        "document",
        "cn_num",
        "arabic",
        "arabic",
        "arabic",
        "cn_num",
    ]
    assert d.headings[2].text == "1、建设远程会诊中心。"  # inline heading
    assert d.headings[4].text == "3、加强人员培训"
    texts = [p.text for p in d.paragraphs]
    assert len(texts) == 8
    assert texts[0] == "各区县卫生健康局，委属各单位："
    assert texts[-2:] == ["市卫生健康委", "2024年5月20日"]
    assert all("\n" not in t for t in texts)
    assert d.paragraphs[2].text.startswith("每个区县依托县级医院")
    assert d.paragraphs[2].headings[-2:] == ("一、工作内容", "1、建设远程会诊中心。")
    assert d.metadata["issuer"] == "市卫生健康委"
    assert d.metadata["date"] == "2024-05-20"
    assert d.metadata["title"] == "市卫生健康委关于开展基层医疗机构远程会诊能力提升工作的通知"


def test_gb18030_file_is_decoded_and_recorded() -> None:
    path = DOCS / "gb18030_notice.txt"
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    d = read_document(path)
    assert d.encoding == "gb18030"
    assert_offsets(d)
    assert d.headings[0].text == "关于加强中小学科学教育的实施意见"
    assert [p.headings[-1] for p in d.paragraphs] == [
        "一、充实科学教师队伍",
        "二、拓展校外实践资源",
    ]


def test_utf8_bom_is_dropped_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeff一、总则\n\n本办法自印发之日起施行。\n".encode())
    d = read_document(path)
    assert d.encoding == "utf-8"
    assert d.text.startswith("\ufeff")
    assert d.dropped[0].kind == "bom" and (d.dropped[0].start, d.dropped[0].end) == (0, 1)
    assert d.headings[0].text == "一、总则" and d.headings[0].start == 1
    assert d.paragraphs[0].text == "本办法自印发之日起施行。"
    assert_offsets(d)


def test_undecodable_file_names_file_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "broken.txt"
    path.write_bytes(b"ok \xff\xff")
    with pytest.raises(ValueError, match=r"broken\.txt.*offset 3"):
        read_document(path)


def test_str_source_is_path_only_when_it_names_a_file(tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_text("加强统筹协调。", encoding="utf-8")
    assert read_document(str(path)).source == str(path)
    assert read_document(path).paragraphs[0].text == "加强统筹协调。"
    as_text = read_document("加强统筹协调。")
    assert as_text.source is None and as_text.encoding is None
    assert as_text.paragraphs[0].text == "加强统筹协调。"
    assert read_document("加强统筹协调。\n落实责任。").source is None
    with pytest.raises(FileNotFoundError):
        read_document(tmp_path / "missing.txt")


@pytest.mark.parametrize(
    "name",
    [
        "notcie.txt",
        "data/关于印发科技创新政策的通知.docx",
        "policy.jsonl",
        "notes.md",
        "scan.pdf",
        "table.csv ",
        "data/notices",
        "./notice",
        "C:\\政策\\通知",
        "/no/such/folder/通知",
    ],
)
def test_missing_file_name_is_not_tagged_as_text(name: str) -> None:
    # B7: a mistyped file name used to be read silently as a one-line document
    with pytest.raises(FileNotFoundError) as info:
        read_document(name)
    message = str(info.value)
    assert repr(name) in message
    assert "pass the text itself with policyclf.reader.parse_document(...) if you meant text" in (
        message
    )
    # the escape hatch really does read it as text
    assert parse_document(name).paragraphs[0].text == name.strip()


@pytest.mark.parametrize(
    "text",
    [
        "对引进人才给予补贴。",
        "科技型中小企业",
        "2023年GDP增长5.2%",
        "增长5.2",
        "研发费用/营业收入",
        "1/2的企业",
        "详见附件/说明。",
        "版本v1.0",
        "https://www.gov.cn/zhengce",
    ],
)
def test_one_line_text_that_is_not_a_path_is_read_as_text(text: str) -> None:
    doc = read_document(text)
    assert doc.source is None
    assert doc.paragraphs[0].text == text


def _zip_bytes(*names: str) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for n in names:
            archive.writestr(n, "<x/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("file_name", "data", "reason"),
    [
        (
            "notice.docx",
            _zip_bytes("[Content_Types].xml", "word/document.xml"),
            "not a readable Word .docx file",
        ),
        (
            "notice.txt",
            _zip_bytes("[Content_Types].xml", "word/document.xml"),
            "the content is a Word file, not plain text (rename it .docx)",
        ),
        (
            "sheet.txt",
            _zip_bytes("[Content_Types].xml", "xl/workbook.xml"),
            "the content is an Excel file, not a document",
        ),
        ("notice.docx", b"PK\x03\x04 not really a zip", "not a valid Word .docx file"),
        ("notice.docx", _zip_bytes("a.txt"), "not a Word .docx file (no word/document.xml"),
        ("notice.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not a readable PDF file"),
        ("notice.txt", b"%PDF-1.4\n", "a PDF file, not plain text (rename it .pdf)"),
        (
            "notice.docx",
            b"%PDF-1.4\n",
            "the extension says a Word .docx file but the content is a PDF file (rename it .pdf)",
        ),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old binary Word"),
        ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "password-protected"),
    ],
)
def test_unreadable_files_are_refused_clearly(
    tmp_path: Path, file_name: str, data: bytes, reason: str
) -> None:
    from policyclf.exceptions import DocumentReadError

    path = tmp_path / file_name
    path.write_bytes(data)
    with pytest.raises(DocumentReadError) as info:
        read_document(path)
    assert str(info.value).startswith(f"{path}: ")
    assert reason in str(info.value)
    with pytest.raises(ValueError, match=re.escape(reason)):
        read_document(str(path))


def test_decode_bytes_keeps_the_bom_and_names_the_source() -> None:
    text, encoding = decode_bytes("\ufeff加强统筹。".encode(), "x")
    assert (text, encoding) == ("\ufeff加强统筹。", "utf-8")
    assert decode_bytes("加强统筹。".encode("gb18030"), "x") == ("加强统筹。", "gb18030")
    assert decode_bytes("\ufeff加强。".encode("utf-16-le"), "x")[1] == "utf-16"
    with pytest.raises(ValueError, match=r"^<stdin> is a PDF file"):
        decode_bytes(b"%PDF-1.5", "<stdin>")
    with pytest.raises(ValueError, match=r"^bad\.txt: neither UTF-8"):
        decode_bytes(b"\xff\xff\xff\x30\x81", "bad.txt")


# --------------------------------------------------------------------------------------------
# Residue and watermarks


def test_residue_between_paragraphs_only_when_unmistakable() -> None:
    d = parse_document(
        "第一段内容。\n\n上一章\n\n下载中心建设\n\n点击查看。\n\n第二段内容。\n分享\n"
    )
    assert [x.text for x in d.dropped] == ["上一章", "分享"]
    assert [p.text for p in d.paragraphs] == [
        "第一段内容。",
        "下载中心建设",
        "点击查看。",
        "第二段内容。",
    ]


def test_watermark_rules() -> None:
    kept = parse_document("采用IGBT和MEMS技术，建设5G基站，ABCDEFGHIJKLMNOPQRSTUVWXYZ。")
    assert kept.dropped == ()
    token = "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9"
    d = parse_document(f"第一句。 {token} 第二句。")
    assert [(x.kind, x.text) for x in d.dropped] == [("watermark", token)]
    # in the middle of a paragraph it stays in the (contiguous) text but in no sentence
    assert [s.text for s in d.sentences] == ["第一句。", "第二句。"]
    alone = parse_document(f"第一段。\n{token}\n第二段。")
    assert [p.text for p in alone.paragraphs] == ["第一段。", "第二段。"]


# --------------------------------------------------------------------------------------------
# Sentences


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_sentences_inside_book_titles_and_quotes() -> None:
    assert texts("印发《关于防汛工作。补充通知》文件。随后部署。") == [
        "印发《关于防汛工作。补充通知》文件。",
        "随后部署。",
    ]
    assert texts("群众反映“道路不通。路灯不亮”等问题。已督办。") == [
        "群众反映“道路不通。路灯不亮”等问题。",
        "已督办。",
    ]
    assert texts("主任强调：“要抓紧落实。”会议随后结束。") == [
        "主任强调：“要抓紧落实。”",
        "会议随后结束。",
    ]
    assert texts("书名为「绿色发展。」下一句。") == ["书名为「绿色发展。」", "下一句。"]
    assert texts("设立基金(规模10亿元;面向初创企业),支持创新。") == [
        "设立基金(规模10亿元;面向初创企业),支持创新。"
    ]


def test_sentence_terminator_runs_and_half_width() -> None:
    assert texts("真的完成了吗？！请核实。") == ["真的完成了吗？！", "请核实。"]
    assert texts("包括水利、交通、能源……下一步统筹推进。") == [
        "包括水利、交通、能源……",
        "下一步统筹推进。",
    ]
    assert texts("等待…然后继续。") == ["等待…然后继续。"]
    assert texts("完成! 是否上线? 已确认; 结束") == ["完成!", "是否上线?", "已确认;", "结束"]
    assert texts("比例达2.67%，增长1.3倍。") == ["比例达2.67%，增长1.3倍。"]


def test_unbalanced_quotes_do_not_swallow_text() -> None:
    assert texts("他说“第一点。第二点。第三点。") == ["他说“第一点。", "第二点。", "第三点。"]
    assert texts("第一点。”第二点。") == ["第一点。”", "第二点。"]
    d = parse_document("甲说“开始。\n\n乙宣布结束。")
    assert [p.text for p in d.paragraphs] == ["甲说“开始。", "乙宣布结束。"]
    long_quote = "“" + "内容。" * 100 + "”"
    assert len(texts(long_quote)) == 100  # a pair longer than the cap does not protect


def test_sentence_offsets_and_trimming() -> None:
    text = "  第一句。  第二句。 无标点结尾 "
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["第一句。", "第二句。", "无标点结尾"]
    assert all(text[s.start : s.end] == s.text for s in sentences)
    assert texts("没有终止标点的一段") == ["没有终止标点的一段"]
    assert texts("") == [] and texts(" \n ") == []


# --------------------------------------------------------------------------------------------
# Properties

_TOKENS = [
    "科技", "创新", "平台", "人才", "资金", "。", "！", "？", "；", "!", "?", ";", "，", ",", "、",
    "…", "……", "“", "”", "‘", "’", "《", "》", "（", "）", "(", ")", "「", "」", "\n", "\n\n",
    "\r\n", "\r", " ", "\u3000", "\t", "一、", "（一）", "(1)", "1.", "2、", "第一章", "第二节",
    "一是", "APP", "下载", "上一章", "×", "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9", "IGBT", "2 000", "\ufeff",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=60).map("".join))
def test_property_offsets_round_trip_token_text(text: str) -> None:
    d = parse_document(text)
    assert_offsets(d)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_property_offsets_round_trip_any_text(text: str) -> None:
    d = parse_document(text)
    assert_offsets(d)
    sentences = split_sentences(text)
    for a, b in itertools.pairwise(sentences):
        assert a.end <= b.start
    covered = "".join(s.text for s in sentences)
    assert "".join(covered.split()) == "".join(text.split())


def test_short_numbered_sentences_are_paragraphs_not_headings() -> None:
    text = (
        "二、健全金融支持体系\n\n"
        "1．设立天使投资引导基金，规模不低于10亿元。\n\n"
        "2．对科技型中小企业的贷款，按贷款利息的50%给予贴息。\n\n"
        "3．加强组织领导\n\n"
        "各部门要明确分工，抓好落实。\n"
    )
    doc = parse_document(text)
    assert [p.text[:2] for p in doc.paragraphs] == ["1．", "2．", "各部"]
    assert [h.text for h in doc.headings] == ["二、健全金融支持体系", "3．加强组织领导"]
