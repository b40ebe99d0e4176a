"""The taxonomy of policy measures: loading, validation and the human codebook.

The taxonomy is data (``labels/taxonomy.toml``); this module reads it into frozen dataclasses,
checks it, and renders ``labels/CODEBOOK.md`` from it. A user can pass a taxonomy file of their
own (to add a category, rename one, or add cue terms) to :func:`load_taxonomy`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .exceptions import TaxonomyError
from .resources import data_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "BoundaryCase",
    "Category",
    "Subcategory",
    "Taxonomy",
    "default_taxonomy_path",
    "load_taxonomy",
    "render_codebook",
]

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SUB_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class Subcategory:
    """A level-2 subcategory of a measure type."""

    id: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Category:
    """One measure type of the taxonomy, with everything a coder needs to apply it."""

    id: str
    name_zh: str
    name_en: str
    definition: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    subcategories: tuple[Subcategory, ...]
    cues: tuple[str, ...]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class BoundaryCase:
    """A hard case decided once for all coders: the labels it gets and why."""

    case: str
    labels: tuple[str, ...]
    rule: str
    example: str


@dataclass(frozen=True)
class Taxonomy:
    """The measure types, the no-measure rule and the decided boundary cases."""

    version: str
    name: str
    name_zh: str
    unit: str
    paragraph_rule: str
    action_rule: str
    topic_rule: str
    no_measure_rule: str
    no_measure_examples: tuple[str, ...]
    categories: tuple[Category, ...]
    boundary_cases: tuple[BoundaryCase, ...]
    source: str | None = None
    scope_rule: str = ""
    document_rule: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        """The category ids, in taxonomy order."""
        return tuple(c.id for c in self.categories)

    def __getitem__(self, category_id: str) -> Category:
        for c in self.categories:
            if c.id == category_id:
                return c
        raise KeyError(f"no category {category_id!r} in taxonomy {self.name!r} (ids: {self.ids})")

    def __iter__(self) -> Iterator[Category]:
        return iter(self.categories)

    def __len__(self) -> int:
        return len(self.categories)

    def resolve(self, name: str) -> str | None:
        """The category id for an id, a Chinese name or an English name; None if unknown.

        Matching ignores case and surrounding spaces. Chinese names written with a slash
        (``金融/资金``) also match each part (``金融``, ``资金``).
        """
        key = name.strip().casefold()
        if not key:
            return None
        for c in self.categories:
            names = {c.id, c.name_zh, c.name_en, *c.name_zh.split("/")}
            if key in {n.strip().casefold() for n in names}:
                return c.id
        return None

    def names(self) -> list[str]:
        """Every accepted spelling of every category (for suggestions in error messages)."""
        out: list[str] = []
        for c in self.categories:
            out += [c.id, c.name_zh, c.name_en, *c.name_zh.split("/")]
        return list(dict.fromkeys(out))

    def to_dict(self) -> dict[str, Any]:
        """The taxonomy-file form as plain data; ``Taxonomy.from_dict`` reads it back."""
        d: dict[str, Any] = {
            "version": self.version,
            "name": self.name,
            "name_zh": self.name_zh,
            "unit": self.unit,
            "paragraph_rule": self.paragraph_rule,
            "action_rule": self.action_rule,
            "topic_rule": self.topic_rule,
            "scope_rule": self.scope_rule,
            "document_rule": self.document_rule,
            "no_measure": {
                "rule": self.no_measure_rule,
                "examples": list(self.no_measure_examples),
            },
            "category": [],
            "boundary": [],
        }
        for c in self.categories:
            cd = asdict(c)
            cd["subcategories"] = [asdict(sc) for sc in c.subcategories]
            d["category"].append({k: list(v) if isinstance(v, tuple) else v for k, v in cd.items()})
        for b in self.boundary_cases:
            d["boundary"].append(
                {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(b).items()}
            )
        return {k: v for k, v in d.items() if v != ""}

    @property
    def sha256(self) -> str:
        """A hash of the taxonomy's meaning-carrying content (not of its file's formatting)."""
        blob = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> Taxonomy:
        """Build and validate a taxonomy from parsed TOML/JSON (``to_dict`` round-trips)."""
        return _parse(data, source)

    def codebook(self) -> str:
        """The codebook in Markdown (what ``labels/CODEBOOK.md`` holds)."""
        return render_codebook(self)


def default_taxonomy_path() -> Path:
    """Path of the bundled taxonomy file."""
    return data_path("labels", "taxonomy.toml")


def load_taxonomy(path: str | os.PathLike[str] | None = None) -> Taxonomy:
    """Load and validate a taxonomy file (TOML or JSON); the bundled one by default.

    Raises:
        TaxonomyError: naming the file, the key and the problem.
    """
    p = Path(path) if path is not None else default_taxonomy_path()
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise TaxonomyError(f"{p}: cannot read taxonomy file ({e.strerror or e})") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TaxonomyError(f"{p}: not UTF-8 (byte {e.start})") from e
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as e:
        raise TaxonomyError(f"{p}: not valid {p.suffix.lstrip('.').upper() or 'TOML'}: {e}") from e
    return _parse(data, str(p))


# --------------------------------------------------------------------------- validation


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def add(self, key: str, problem: str) -> None:
        self.problems.append(f"{self.source}: {key}: {problem}")

    def text(self, d: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
        v = d.get(key)
        if v is None:
            if required:
                self.add(f"{where}{key}", "missing")
            return ""
        if not isinstance(v, str) or not v.strip():
            self.add(f"{where}{key}", f"must be a non-empty string, got {v!r}")
            return ""
        return v.strip()

    def texts(
        self, d: Mapping[str, Any], key: str, where: str, *, min_len: int = 0
    ) -> tuple[str, ...]:
        v = d.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
            self.add(f"{where}{key}", "must be a list of non-empty strings")
            return ()
        if len(v) < min_len:
            self.add(f"{where}{key}", f"needs at least {min_len} entries, has {len(v)}")
        dup = sorted({x for x in v if v.count(x) > 1})
        if dup:
            self.add(f"{where}{key}", f"duplicate entries {dup}")
        return tuple(x.strip() for x in v)


def _parse(data: Mapping[str, Any], source: str) -> Taxonomy:
    ck = _Checker(source)
    if not isinstance(data, Mapping):
        raise TaxonomyError(f"{source}: top level must be a table/object")
    version = ck.text(data, "version", "")
    if version and not _VERSION.match(version):
        ck.add("version", f"must look like MAJOR.MINOR.PATCH, got {version!r}")
    nm = data.get("no_measure")
    if not isinstance(nm, Mapping):
        ck.add("no_measure", "missing table (the rule for text that carries no measure)")
        nm = {}
    cats_raw = data.get("category")
    if not isinstance(cats_raw, list) or not cats_raw:
        ck.add("category", "missing: give at least one [[category]] table")
        cats_raw = []
    categories: list[Category] = []
    for i, c in enumerate(cats_raw):
        where = f"category[{i}]."
        if not isinstance(c, Mapping):
            ck.add(f"category[{i}]", "must be a table")
            continue
        cid = ck.text(c, "id", where)
        if cid:
            where = f"category[{i}] ({cid})."
            if not _ID.match(cid):
                ck.add(f"{where}id", f"{cid!r} must be lower-case ASCII letters, digits or _")
        subs: list[Subcategory] = []
        subs_raw = c.get("subcategories", [])
        if not isinstance(subs_raw, list) or not subs_raw:
            ck.add(f"{where}subcategories", "needs at least one subcategory")
            subs_raw = []
        for j, s in enumerate(subs_raw):
            sw = f"{where}subcategories[{j}]."
            if not isinstance(s, Mapping):
                ck.add(sw.rstrip("."), "must be a table with id, name_zh, name_en")
                continue
            sid = ck.text(s, "id", sw)
            if sid and (not _SUB_ID.match(sid) or sid.split(".")[0] != cid):
                ck.add(f"{sw}id", f"{sid!r} must look like '{cid}.<name>'")
            subs.append(Subcategory(sid, ck.text(s, "name_zh", sw), ck.text(s, "name_en", sw)))
        categories.append(
            Category(
                id=cid,
                name_zh=ck.text(c, "name_zh", where),
                name_en=ck.text(c, "name_en", where),
                definition=ck.text(c, "definition", where),
                include=ck.texts(c, "include", where, min_len=1),
                exclude=ck.texts(c, "exclude", where, min_len=1),
                subcategories=tuple(subs),
                cues=ck.texts(c, "cues", where, min_len=1),
                examples=ck.texts(c, "examples", where),
            )
        )
    ids = [c.id for c in categories if c.id]
    for dup in sorted({x for x in ids if ids.count(x) > 1}):
        ck.add("category", f"id {dup!r} is used by more than one category")
    sub_ids = [s.id for c in categories for s in c.subcategories if s.id]
    for dup in sorted({x for x in sub_ids if sub_ids.count(x) > 1}):
        ck.add("category", f"subcategory id {dup!r} is used more than once")
    names = [n for c in categories for n in (c.name_zh, c.name_en) if n]
    for dup in sorted({x for x in names if names.count(x) > 1}):
        ck.add("category", f"name {dup!r} is used by more than one category")

    boundaries: list[BoundaryCase] = []
    b_raw = data.get("boundary", [])
    if not isinstance(b_raw, list):
        ck.add("boundary", "must be a list of [[boundary]] tables")
        b_raw = []
    for i, b in enumerate(b_raw):
        where = f"boundary[{i}]."
        if not isinstance(b, Mapping):
            ck.add(f"boundary[{i}]", "must be a table")
            continue
        labels = b.get("labels")
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            ck.add(f"{where}labels", "must be a list of category ids ([] for no measure)")
            labels = []
        for lab in labels:
            if lab not in ids:
                ck.add(f"{where}labels", f"unknown category id {lab!r} (valid: {ids})")
        boundaries.append(
            BoundaryCase(
                case=ck.text(b, "case", where),
                labels=tuple(labels),
                rule=ck.text(b, "rule", where),
                example=ck.text(b, "example", where),
            )
        )
    tax = Taxonomy(
        version=version,
        name=ck.text(data, "name", ""),
        name_zh=ck.text(data, "name_zh", "", required=False),
        unit=ck.text(data, "unit", "", required=False),
        paragraph_rule=ck.text(data, "paragraph_rule", ""),
        action_rule=ck.text(data, "action_rule", "", required=False),
        topic_rule=ck.text(data, "topic_rule", "", required=False),
        scope_rule=ck.text(data, "scope_rule", "", required=False),
        document_rule=ck.text(data, "document_rule", "", required=False),
        no_measure_rule=ck.text(nm, "rule", "no_measure."),
        no_measure_examples=ck.texts(nm, "examples", "no_measure."),
        categories=tuple(categories),
        boundary_cases=tuple(boundaries),
        source=source,
    )
    if ck.problems:
        raise TaxonomyError("invalid taxonomy:\n" + "\n".join("  " + p for p in ck.problems))
    return tax


# --------------------------------------------------------------------------- codebook


def render_codebook(tax: Taxonomy) -> str:
    """Render the human codebook (Markdown) from a taxonomy. Deterministic."""
    out: list[str] = []
    w = out.append
    w(f"# Codebook: {tax.name}" + (f" ({tax.name_zh})" if tax.name_zh else ""))
    w("")
    w(f"Taxonomy version **{tax.version}**. Generated from `labels/taxonomy.toml` by")
    w("`python -m policyclf.taxonomy --write-codebook`; do not edit by hand.")
    w("")
    w("## How to code")
    w("")
    if tax.unit:
        w(f"- **Unit.** {tax.unit}")
    w(f"- **Paragraphs and sentences.** {_one_line(tax.paragraph_rule)}")
    if tax.action_rule:
        w(f"- **Measures, not words.** {_one_line(tax.action_rule)}")
    if tax.topic_rule:
        w(f"- **Policies about a topic.** {_one_line(tax.topic_rule)}")
    if tax.scope_rule:
        w(f"- **Scope: innovation policy only.** {_one_line(tax.scope_rule)}")
    if tax.document_rule:
        w(f"- **Parts of real documents.** {_one_line(tax.document_rule)}")
    w(
        "- **Labels** are written as ids separated by `;` (e.g. `talent;finance`), "
        "empty for no measure."
    )
    w("")
    w("| id | 中文 | English | subcategories |")
    w("| --- | --- | --- | --- |")
    for c in tax.categories:
        subs = ", ".join(f"{s.name_zh} ({s.id})" for s in c.subcategories)
        w(f"| `{c.id}` | {c.name_zh} | {c.name_en} | {subs} |")
    w("")
    for c in tax.categories:
        w(f"## `{c.id}` — {c.name_zh} / {c.name_en}")
        w("")
        w(_one_line(c.definition))
        w("")
        w("**Include**")
        w("")
        out.extend(f"- {x}" for x in c.include)
        w("")
        w("**Exclude**")
        w("")
        out.extend(f"- {x}" for x in c.exclude)
        w("")
        w("**Subcategories**")
        w("")
        out.extend(f"- `{s.id}` {s.name_zh} — {s.name_en}" for s in c.subcategories)
        w("")
        w("**Cue terms** (signals to look for, not rules: the measure decides)")
        w("")
        w("、".join(c.cues))
        w("")
        if c.examples:
            w("**Examples**")
            w("")
            out.extend(f"- {x}" for x in c.examples)
            w("")
    w("## No measure — 无政策措施 (empty labels)")
    w("")
    w(_one_line(tax.no_measure_rule))
    w("")
    if tax.no_measure_examples:
        w("**Examples**")
        w("")
        out.extend(f"- {x}" for x in tax.no_measure_examples)
        w("")
    if tax.boundary_cases:
        w("## Boundary cases (decided)")
        w("")
        w("| case | labels | rule | example |")
        w("| --- | --- | --- | --- |")
        for b in tax.boundary_cases:
            labels = ";".join(b.labels) or "(none)"
            w(f"| {b.case} | `{labels}` | {_one_line(b.rule)} | {b.example} |")
        w("")
    return "\n".join(out)


def _one_line(s: str) -> str:
    return " ".join(s.split())


def _main(argv: list[str] | None = None) -> int:
    import argparse  # only for this script entry point: not on the import path of load()

    ap = argparse.ArgumentParser(
        prog="python -m policyclf.taxonomy",
        description="Validate the taxonomy and render the codebook.",
    )
    ap.add_argument("path", nargs="?", help="taxonomy file (default: the bundled one)")
    ap.add_argument("--write-codebook", action="store_true", help="write labels/CODEBOOK.md")
    ap.add_argument("--check", action="store_true", help="exit 1 if labels/CODEBOOK.md is stale")
    args = ap.parse_args(argv)
    tax = load_taxonomy(args.path)
    target = data_path("labels", "CODEBOOK.md")
    text = render_codebook(tax) + "\n"
    if args.write_codebook:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    elif args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is stale: run python -m policyclf.taxonomy --write-codebook")
            return 1
        print(f"{target} is current (taxonomy {tax.version})")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
