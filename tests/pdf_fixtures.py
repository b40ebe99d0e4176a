"""Write small PDF files by hand for the reader tests: a CJK text layer, an image-only page.

The text layer uses a Type0 font (Identity-H) whose ToUnicode map gives each glyph id its
character, so text extraction works without embedding any font file.
"""

from __future__ import annotations

from pathlib import Path


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def text_pdf(pages: list[list[str]], *, title: str = "") -> bytes:
    """A PDF whose pages hold the given lines (one text line each, top to bottom)."""
    chars = sorted({c for page in pages for line in page for c in line})
    cid = {c: i + 1 for i, c in enumerate(chars)}
    cmap_lines = [f"<{cid[c]:04X}> <{ord(c):04X}>" for c in chars if ord(c) < 0x10000]
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{len(cmap_lines)} beginbfchar\n" + "\n".join(cmap_lines) + "\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    n_pages = len(pages)
    # 1 catalog, 2 pages, 3 font, 4 cidfont, 5 descriptor, 6 tounicode, then page+content pairs
    first_page = 7
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(n_pages))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 6 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        b"/FontDescriptor 5 0 R /DW 1000 >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 4 "
        b"/FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 700 /StemV 80 >>",
        _stream(cmap),
    ]
    for i, lines in enumerate(pages):
        ops = ["BT /F1 12 Tf 14 TL 50 780 Td"]
        for line in lines:
            hexs = "".join(f"{cid[c]:04X}" for c in line)
            ops.append(f"<{hexs}> Tj T*")
        ops.append("ET")
        content = "\n".join(ops).encode()
        contents = first_page + 2 * i + 1
        page = (
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {contents} 0 R >>"
        )
        objects.append(page.encode())
        objects.append(_stream(content))
    objects.append(f"<< /Title <FEFF{title.encode('utf-16-be').hex().upper()}> >>".encode())
    return _pdf(objects)


def image_only_pdf() -> bytes:
    """A one-page PDF with a drawing and no text (what a scan looks like to a text reader)."""
    content = b"q 0.5 g 50 50 400 600 re f Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        _stream(content),
        b"<< >>",
    ]
    return _pdf(objects)


def encrypted_pdf(path: Path, pages: list[list[str]]) -> None:
    """A text PDF that needs a user password to open (RC4, which pypdf writes on its own)."""
    import io

    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(text_pdf(pages)))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with path.open("wb") as fh:
        writer.write(fh)
