"""Tests for policyclf.persistence: round trip, validation, hostile files, atomic saves."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pathlib
import pickle
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from policyclf import persistence
from policyclf.exceptions import ModelExistsError, ModelFileError, PolicyclfError
from policyclf.persistence import (
    ARRAYS_NAME,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_NAME,
    fingerprint,
    load_bundle,
    read_manifest,
    save_bundle,
)

POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL and POSIX renames")


# ---------------------------------------------------------------------------------- helpers


def sample_arrays() -> dict[str, np.ndarray]:
    return {
        "coef": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
        "intercept": np.array([-1.5, 0.0, 2.25]),
        "counts": np.array([1, -2, 3], dtype=np.int8),
        "big": np.array([2**40, -(2**40)], dtype=">i8"),
        "mask": np.array([True, False, True]),
        "ids": np.array([1, 2, 65535], dtype=np.uint16),
        "phase": np.array([1 + 2j, -0.5j]),
        "vocab": np.array(["人才", "平台", "融资", "技术转移", "a b"]),
        "labels": np.array(["platform", "talent"], dtype="<U12"),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "scalar": np.array(3.5),
        "empty": np.zeros((0, 3), dtype=np.float64),
    }


SAMPLE_META: dict[str, Any] = {
    "labels": ["platform", "talent"],
    "thresholds": {"platform": 0.5, "talent": 0.25},
    "名称": "浙江 2025",
    "nested": {"ok": True, "none": None, "n": 3},
}


def save_sample(path: Path, **kwargs: Any) -> Path:
    return save_bundle(
        path,
        sample_arrays(),
        SAMPLE_META,
        files={"report.md": "# 报告\n", "report.json": b'{"f1": 0.8}'},
        **kwargs,
    )


def assert_same_arrays(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert sorted(got) == sorted(want)
    for name, array in want.items():
        assert got[name].dtype == array.dtype, name
        assert got[name].shape == array.shape, name
        assert np.array_equal(got[name], array, equal_nan=array.dtype.kind in "fc"), name


def siblings(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


class Evil:
    """Unpickling this creates ``marker``: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def evil_pickle(marker: Path) -> bytes:
    return pickle.dumps(Evil(marker), protocol=4)


def test_the_evil_payload_really_runs_code_when_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    pickle.loads(evil_pickle(marker))  # the control: unpickling does run it
    assert marker.exists()


def write_model_by_hand(
    folder: Path, files: dict[str, bytes], meta: Any = None, **manifest: Any
) -> None:
    """A folder whose manifest lists ``files`` with their true checksums (a hostile author)."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        entries[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    content = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "policyclf_version": "0.1.0",
        "created": "2025-01-01T00:00:00+00:00",
        "files": entries,
        "meta": {} if meta is None else meta,
        **manifest,
    }
    (folder / MANIFEST_NAME).write_text(json.dumps(content), encoding="utf-8")


def npz_bytes(allow_pickle: bool = False, **arrays: Any) -> bytes:
    buffer = io.BytesIO()
    if allow_pickle:
        np.savez(buffer, **arrays)  # np.savez pickles object arrays
    else:
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, array in arrays.items():
                with archive.open(name + ".npy", "w") as member:
                    np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def rewrite_manifest(folder: Path, change: Any) -> None:
    data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    change(data)
    (folder / MANIFEST_NAME).write_text(json.dumps(data), encoding="utf-8")


# -------------------------------------------------------------------------------- round trip


def test_round_trip_keeps_arrays_dtypes_meta_and_files(tmp_path: Path) -> None:
    target = tmp_path / "models" / "zhejiang-2025"
    returned = save_sample(target)
    assert returned == target

    bundle = load_bundle(target)
    assert_same_arrays(bundle.arrays, sample_arrays())
    assert bundle.meta == SAMPLE_META
    assert bundle.files == {"report.md": "# 报告\n".encode(), "report.json": b'{"f1": 0.8}'}
    assert bundle.text("report.md") == "# 报告\n"
    assert bundle.path == target


def test_saved_folder_layout_and_manifest(tmp_path: Path) -> None:
    target = save_sample(tmp_path / "m")
    assert siblings(target) == sorted([MANIFEST_NAME, ARRAYS_NAME, "report.md", "report.json"])
    raw = (target / MANIFEST_NAME).read_bytes()
    manifest = json.loads(raw.decode("utf-8"))
    assert manifest["format"] == "policyclf-model"
    assert manifest["format_version"] == FORMAT_VERSION == 2
    assert manifest["policyclf_version"] == metadata.version("policyclf")
    created = datetime.fromisoformat(manifest["created"])
    assert created.tzinfo is not None and created.utcoffset() == timezone.utc.utcoffset(None)
    assert abs((datetime.now(timezone.utc) - created).total_seconds()) < 600
    assert sorted(manifest["files"]) == sorted([ARRAYS_NAME, "report.md", "report.json"])
    for name, entry in manifest["files"].items():
        data = (target / name).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    assert manifest["meta"] == SAMPLE_META
    # arrays.npz is a plain npz that numpy reads without pickle
    with np.load(target / ARRAYS_NAME, allow_pickle=False) as npz:
        assert sorted(npz.files) == sorted(sample_arrays())
    assert fingerprint(target) == hashlib.sha256(raw).hexdigest()
    assert load_bundle(target).fingerprint == fingerprint(target)


def test_meta_tuples_become_lists_and_unicode_is_stored_readably(tmp_path: Path) -> None:
    target = save_bundle(tmp_path / "m", {}, {"pair": (1, 2), "名": "政策"})
    assert load_bundle(target).meta == {"pair": [1, 2], "名": "政策"}
    assert "政策" in (target / MANIFEST_NAME).read_text(encoding="utf-8")


def test_array_names_that_clash_with_numpy_parameters_still_work(tmp_path: Path) -> None:
    arrays = {"file": np.array([1]), "allow_pickle": np.array([2]), "arr_0": np.array([3])}
    target = save_bundle(tmp_path / "m", arrays, {})
    assert_same_arrays(load_bundle(target).arrays, arrays)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    array=st.one_of(
        hnp.arrays(hnp.integer_dtypes() | hnp.unsigned_integer_dtypes(), hnp.array_shapes()),
        hnp.arrays(hnp.floating_dtypes() | hnp.complex_number_dtypes(), hnp.array_shapes()),
        hnp.arrays(hnp.unicode_string_dtypes(), hnp.array_shapes(max_side=4)),
        hnp.arrays(np.bool_, hnp.array_shapes(min_dims=0)),
    )
)
def test_any_numeric_or_unicode_array_round_trips(array: np.ndarray) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = save_bundle(Path(folder) / "m", {"a": array}, {})
        assert_same_arrays(load_bundle(target).arrays, {"a": array})


def test_read_manifest_is_cheap_and_ignores_the_arrays(tmp_path: Path) -> None:
    target = save_sample(tmp_path / "m")
    (target / ARRAYS_NAME).write_bytes(b"garbage")
    manifest = read_manifest(target)
    assert manifest["meta"] == SAMPLE_META
    assert manifest["format"] == FORMAT
    with pytest.raises(ModelFileError):
        load_bundle(target)


def test_bundle_text_of_a_missing_file_names_it(tmp_path: Path) -> None:
    bundle = load_bundle(save_sample(tmp_path / "m"))
    with pytest.raises(ModelFileError, match=r"no file 'nope\.md'.*report\.json, report\.md"):
        bundle.text("nope.md")


# ------------------------------------------------------------------------- save validation


def test_object_arrays_are_rejected_at_save_time_naming_the_array(tmp_path: Path) -> None:
    target = tmp_path / "m"
    bad = {"ok": np.arange(3), "tokens": np.array(["a", 1, None], dtype=object)}
    with pytest.raises(TypeError, match=r"'tokens'.*object.*\.astype"):
        save_bundle(target, bad, {})
    assert siblings(tmp_path) == []


@pytest.mark.parametrize(
    "value",
    [
        np.array(["2020-01-01"], dtype="datetime64[D]"),
        np.array([b"bytes"]),
        np.zeros(2, dtype=[("a", "i4"), ("b", "f8")]),
    ],
)
def test_only_numeric_and_unicode_dtypes_are_stored(tmp_path: Path, value: np.ndarray) -> None:
    with pytest.raises(TypeError, match=r"array 'x' has dtype"):
        save_bundle(tmp_path / "m", {"x": value}, {})
    assert siblings(tmp_path) == []


@pytest.mark.parametrize("name", ["", "a/b", "..\\x", "nul\x00"])
def test_bad_array_names_are_rejected(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="invalid array name"):
        save_bundle(tmp_path / "m", {name: np.arange(2)}, {})


@pytest.mark.parametrize(
    "name", ["", ".", "..", "../escape.txt", "sub/x.md", "a\\b", "manifest.json", "ARRAYS.NPZ"]
)
def test_bad_extra_file_names_are_rejected(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="invalid extra file name"):
        save_bundle(tmp_path / "m", {}, {}, files={name: "x"})
    assert not (tmp_path / "escape.txt").exists()
    assert siblings(tmp_path) == []


def test_extra_file_content_must_be_text_or_bytes(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"'report\.md' must be str or bytes"):
        save_bundle(tmp_path / "m", {}, {}, files={"report.md": 3})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("meta", "error", "where"),
    [
        ({"n": np.int64(3)}, TypeError, r"meta\['n'\] is a int64"),
        ({"deep": [{"x": {1, 2}}]}, TypeError, r"meta\['deep'\]\[0\]\['x'\] is a set"),
        ({"score": float("nan")}, ValueError, r"meta\['score'\].*NaN"),
        ({"by_id": {1: "a"}}, TypeError, r"meta\['by_id'\] has key 1.*must be str"),
    ],
)
def test_meta_must_be_plain_json(
    tmp_path: Path, meta: dict[str, Any], error: type[Exception], where: str
) -> None:
    with pytest.raises(error, match=where):
        save_bundle(tmp_path / "m", {}, meta)
    assert siblings(tmp_path) == []


def test_parent_folders_are_created(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c" / "model"
    save_sample(target)
    assert load_bundle(target).meta == SAMPLE_META


def test_accepts_str_paths_and_relative_paths(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    save_bundle("models/rel", {"x": np.arange(3)}, {"a": 1})
    assert load_bundle("models/rel").meta == {"a": 1}
    assert read_manifest(Path("models/rel"))["meta"] == {"a": 1}


# ------------------------------------------------------------------------ overwrite rules


def test_existing_model_is_not_overwritten_by_default(tmp_path: Path) -> None:
    target = save_sample(tmp_path / "m")
    before = {name: (target / name).read_bytes() for name in siblings(target)}
    with pytest.raises(ModelExistsError, match=r"already exists at .*m.*overwrite=True") as info:
        save_bundle(target, {"x": np.arange(2)}, {"new": True})
    assert str(target) in str(info.value)
    assert isinstance(info.value, FileExistsError) and isinstance(info.value, PolicyclfError)
    assert {name: (target / name).read_bytes() for name in siblings(target)} == before
    assert siblings(tmp_path) == ["m"]


def test_overwrite_replaces_the_whole_model_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = save_sample(tmp_path / "m")
    save_bundle(target, {"x": np.arange(2)}, {"new": True}, overwrite=True)
    bundle = load_bundle(target)
    assert bundle.meta == {"new": True}
    assert_same_arrays(bundle.arrays, {"x": np.arange(2)})
    assert bundle.files == {}
    assert siblings(target) == [ARRAYS_NAME, MANIFEST_NAME]  # old report.* are gone
    assert siblings(tmp_path) == ["m"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_folder_that_is_not_a_model_is_never_overwritten(tmp_path: Path, overwrite: bool) -> None:
    data = tmp_path / "my-data"
    data.mkdir()
    (data / "thesis.docx").write_bytes(b"years of work")
    expected = "refusing to overwrite it even with overwrite=True" if overwrite else "another path"
    with pytest.raises(ModelExistsError, match=expected) as info:
        save_bundle(data, {"x": np.arange(2)}, {}, overwrite=overwrite)
    assert str(data) in str(info.value) and "not a policyclf model folder" in str(info.value)
    assert siblings(data) == ["thesis.docx"]
    assert (data / "thesis.docx").read_bytes() == b"years of work"
    assert siblings(tmp_path) == ["my-data"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_file_is_never_overwritten(tmp_path: Path, overwrite: bool) -> None:
    target = tmp_path / "model"
    target.write_text("notes", encoding="utf-8")
    with pytest.raises(ModelExistsError, match="is a file"):
        save_bundle(target, {"x": np.arange(2)}, {}, overwrite=overwrite)
    assert target.read_text(encoding="utf-8") == "notes"


def test_a_folder_with_a_foreign_manifest_is_not_a_model(tmp_path: Path) -> None:
    other = tmp_path / "other-tool"
    other.mkdir()
    (other / MANIFEST_NAME).write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(ModelExistsError, match="refusing"):
        save_bundle(other, {}, {}, overwrite=True)
    assert siblings(other) == [MANIFEST_NAME]


@POSIX_ONLY
def test_a_symlink_is_never_overwritten(tmp_path: Path) -> None:
    real = save_sample(tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    with pytest.raises(ModelExistsError, match="symbolic link"):
        save_bundle(link, {}, {}, overwrite=True)
    assert link.is_symlink() and load_bundle(real).meta == SAMPLE_META


def test_an_existing_empty_folder_is_used(tmp_path: Path) -> None:
    target = tmp_path / "m"
    target.mkdir()
    save_sample(target)
    assert load_bundle(target).meta == SAMPLE_META


# ------------------------------------------------------------------------ load validation


def test_missing_path(tmp_path: Path) -> None:
    target = tmp_path / "nope"
    with pytest.raises(ModelFileError, match=r"nope: the path does not exist.*save a model"):
        load_bundle(target)
    with pytest.raises(ModelFileError, match="does not exist"):
        read_manifest(target)


def test_a_malicious_pickle_as_the_model_path_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    model = tmp_path / "model.pkl"
    model.write_bytes(evil_pickle(marker))
    expected = r"model\.pkl is a pickle/joblib file.*never unpickles"
    with pytest.raises(ModelFileError, match=expected):
        load_bundle(model)
    with pytest.raises(ModelFileError, match="re-save the model with policyclf"):
        read_manifest(model)
    # sniffed by content, whatever the name
    renamed = tmp_path / "model"
    model.rename(renamed)
    with pytest.raises(ModelFileError, match="pickle/joblib"):
        load_bundle(renamed)
    assert not marker.exists()


def test_a_joblib_dump_is_refused(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib")
    marker = tmp_path / "pwned"
    dump = tmp_path / "clf.joblib"
    joblib.dump({"model": Evil(marker)}, dump)
    with pytest.raises(ModelFileError, match=r"pickle/joblib file.*never unpickles"):
        load_bundle(dump)
    compressed = tmp_path / "clf.gz"
    joblib.dump({"model": Evil(marker)}, compressed, compress=("gzip", 3))
    with pytest.raises(ModelFileError, match="compressed"):
        load_bundle(compressed)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("model.zip", "zip", "a zip archive; unzip it"),
        ("arrays.npz", "zip", r"numpy \.npz file; pass the model folder"),
        ("empty.bin", b"", "an empty file"),
        ("notes.txt", b"hello", "is a file, not a model folder"),
        ("manifest.json", b"{}", "a JSON file; pass the model folder"),
    ],
)
def test_a_file_instead_of_a_folder_is_described(
    tmp_path: Path, name: str, content: Any, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(npz_bytes(x=np.arange(3)) if content == "zip" else content)
    with pytest.raises(ModelFileError, match=expected) as info:
        load_bundle(path)
    assert str(path) in str(info.value)


def test_folder_without_manifest(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with pytest.raises(ModelFileError, match=r"data has no manifest\.json.*not a policyclf model"):
        load_bundle(tmp_path / "data")


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        (b"", r"manifest\.json is empty"),
        (b"  \n", r"manifest\.json is empty"),
        (b'{"format": ', r"manifest\.json is not valid JSON"),
        (b"\xff\xfe\x00", r"manifest\.json is not UTF-8"),
        (b"[1, 2]", "holds a JSON list, not an object"),
        (b"[" * 100_000 + b"]" * 100_000, r"not valid JSON"),
        (b'{"format": "sklearn"}', "has format 'sklearn', not 'policyclf-model'"),
        (b'{"files": {}}', "has format None"),
    ],
)
def test_bad_manifests(tmp_path: Path, manifest: bytes, expected: str) -> None:
    target = save_sample(tmp_path / "m")
    (target / MANIFEST_NAME).write_bytes(manifest)
    with pytest.raises(ModelFileError, match=expected) as info:
        load_bundle(target)
    assert str(target) in str(info.value)


def test_a_newer_format_version_asks_to_upgrade(tmp_path: Path) -> None:
    target = save_sample(tmp_path / "m")
    newer = FORMAT_VERSION + 1
    rewrite_manifest(target, lambda m: m.update(format_version=newer, policyclf_version="9.9.9"))
    expected = (
        rf"written by policyclf 9\.9\.9 with model format {newer}; this policyclf \(.+\) reads "
        rf"model formats <= {FORMAT_VERSION}\. Upgrade policyclf"
    )
    with pytest.raises(ModelFileError, match=expected):
        load_bundle(target)
    with pytest.raises(ModelFileError, match="Upgrade policyclf"):
        read_manifest(target)
    assert read_manifest(target, check_version=False)["format_version"] == newer
    assert len(fingerprint(target)) == 64


def test_an_unsupported_older_format_version_asks_to_retrain(
    tmp_path: Path, monkeypatch: Any
) -> None:
    target = save_sample(tmp_path / "m")
    rewrite_manifest(target, lambda m: m.update(format_version=1))
    monkeypatch.setattr(persistence.manifest, "FORMAT_VERSION", 3)
    monkeypatch.setattr(persistence.manifest, "MIN_FORMAT_VERSION", 2)
    monkeypatch.setattr(persistence.manifest, "_FIRST_RELEASE_WITH_FORMAT", {2: "0.4.0"})
    with pytest.raises(
        ModelFileError,
        match=r"model format 1, which this policyclf .* no longer reads .*formats 2 to 3\)\. "
        r"Re-train or re-save the model with policyclf >= 0\.4\.0",
    ):
        load_bundle(target)


@pytest.mark.parametrize("version", ["1", 1.0, True, 0, None])
def test_an_invalid_format_version(tmp_path: Path, version: Any) -> None:
    target = save_sample(tmp_path / "m")
    rewrite_manifest(target, lambda m: m.update(format_version=version))
    with pytest.raises(ModelFileError, match="invalid format_version"):
        load_bundle(target)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: m.update(files=[]), "'files' must be an object"),
        (lambda m: m["files"].pop(ARRAYS_NAME), "does not list arrays.npz"),
        (lambda m: m["files"].update({"../../etc/passwd": m["files"]["report.md"]}), "not allowed"),
        (lambda m: m["files"].update({MANIFEST_NAME: m["files"]["report.md"]}), "not allowed"),
        (lambda m: m["files"]["report.md"].update(sha256="abc"), "64 lowercase hex"),
        (lambda m: m["files"]["report.md"].update(bytes=-1), "non-negative integer"),
        (lambda m: m["files"].update({"x": "y"}), "must be an object"),
        (lambda m: m.update(meta=[1]), "'meta' must be an object"),
    ],
)
def test_malformed_manifest_layout(tmp_path: Path, change: Any, expected: str) -> None:
    target = save_sample(tmp_path / "m")
    rewrite_manifest(target, change)
    with pytest.raises(ModelFileError, match=rf"manifest\.json is malformed: .*{expected}"):
        load_bundle(target)


def test_a_listed_file_that_is_missing(tmp_path: Path) -> None:
    target = save_sample(tmp_path / "m")
    (target / "report.md").unlink()
    with pytest.raises(ModelFileError, match=r"report\.md is listed in manifest\.json but missing"):
        load_bundle(target)


def test_a_tampered_file_fails_its_checksum(tmp_path: Path) -> None:
    target = save_sample(tmp_path / "m")
    data = bytearray((target / "report.json").read_bytes())
    data[3] ^= 1  # same length, different content
    (target / "report.json").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"report\.json does not match its sha256"):
        load_bundle(target)


def test_a_manifest_checksum_that_does_not_match_the_arrays(tmp_path: Path) -> None:
    target = save_sample(tmp_path / "m")
    rewrite_manifest(target, lambda m: m["files"][ARRAYS_NAME].update(sha256="0" * 64))
    with pytest.raises(ModelFileError, match=r"arrays\.npz does not match its sha256.*copy"):
        load_bundle(target)


def test_a_truncated_npz(tmp_path: Path) -> None:
    target = save_sample(tmp_path / "m")
    npz = target / ARRAYS_NAME
    full = npz.read_bytes()
    npz.write_bytes(full[: len(full) // 2])
    with pytest.raises(ModelFileError, match=r"arrays\.npz is \d+ bytes but manifest\.json says"):
        load_bundle(target)
    # even if the manifest is made to agree, the damaged archive is reported, not crashed on
    rewrite_manifest(
        target,
        lambda m: m["files"][ARRAYS_NAME].update(
            sha256=hashlib.sha256(full[: len(full) // 2]).hexdigest(), bytes=len(full) // 2
        ),
    )
    with pytest.raises(ModelFileError, match=r"arrays\.npz cannot be read"):
        load_bundle(target)


def test_a_malicious_pickle_as_arrays_npz_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    folder = tmp_path / "m"
    write_model_by_hand(folder, {ARRAYS_NAME: evil_pickle(marker)})
    with pytest.raises(ModelFileError, match=r"arrays\.npz is a pickle file.*never unpickles"):
        load_bundle(folder)
    assert not marker.exists()


def test_a_malicious_object_array_inside_the_npz_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    folder = tmp_path / "m"
    evil = np.empty(1, dtype=object)
    evil[0] = Evil(marker)
    data = npz_bytes(allow_pickle=True, ok=np.arange(3), evil=evil)
    write_model_by_hand(folder, {ARRAYS_NAME: data})
    with pytest.raises(ModelFileError, match=r"array 'evil' holds Python objects.*refuses"):
        load_bundle(folder)
    assert not marker.exists()
    # the payload is live: numpy with allow_pickle=True would have run it
    with np.load(folder / ARRAYS_NAME, allow_pickle=True) as npz:
        npz["evil"]
    assert marker.exists()


def test_an_npz_member_that_is_not_an_array(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.py", "import os")
    folder = tmp_path / "m"
    write_model_by_hand(folder, {ARRAYS_NAME: buffer.getvalue()})
    with pytest.raises(ModelFileError, match=r"holds 'payload\.py', which is not a \.npy array"):
        load_bundle(folder)


def test_unlisted_files_in_the_folder_are_ignored(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    target = save_sample(tmp_path / "m")
    (target / "model.pkl").write_bytes(evil_pickle(marker))
    (target / "__init__.py").write_text(f"open({str(marker)!r}, 'w')", encoding="utf-8")
    (target / "extra.npy").write_bytes(b"junk")
    bundle = load_bundle(target)
    assert sorted(bundle.files) == ["report.json", "report.md"]
    assert not marker.exists()


@POSIX_ONLY
def test_a_listed_file_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    target = save_sample(tmp_path / "m")
    outside = tmp_path / "outside.md"
    outside.write_bytes((target / "report.md").read_bytes())
    (target / "report.md").unlink()
    (target / "report.md").symlink_to(outside)
    with pytest.raises(ModelFileError, match=r"cannot read report\.md.*plain files"):
        load_bundle(target)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.binary(max_size=300))
def test_any_bytes_as_manifest_give_a_model_file_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "m"
        save_bundle(target, {"x": np.arange(3)}, {})
        (target / MANIFEST_NAME).write_bytes(data)
        with pytest.raises(ModelFileError):
            load_bundle(target)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(cut=st.integers(min_value=0), flip=st.integers(min_value=0))
def test_a_damaged_npz_with_an_agreeing_manifest_gives_a_model_file_error(
    cut: int, flip: int
) -> None:
    full = npz_bytes(a=np.arange(20.0), b=np.array(["政策", "x"]))
    damaged = bytearray(full[: cut % len(full)] if cut % 2 else full)
    if damaged and flip % 3:
        damaged[flip % len(damaged)] ^= 0xFF
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "m"
        write_model_by_hand(target, {ARRAYS_NAME: bytes(damaged)})
        try:
            bundle = load_bundle(target)
        except ModelFileError:
            return
        # some flips still parse (the checksums normally catch them): only plain arrays come out
        for value in bundle.arrays.values():
            assert isinstance(value, np.ndarray) and value.dtype.kind in "biufcU"


# ------------------------------------------------------------- atomicity and concurrency


def test_a_failure_mid_save_removes_the_temp_folder_and_keeps_the_old_model(
    tmp_path: Path, monkeypatch: Any
) -> None:
    target = save_sample(tmp_path / "m")
    real_write = persistence.save._write_file
    calls = []

    def failing_write(path: Path, data: bytes) -> dict[str, Any]:
        calls.append(path.name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write(path, data)

    monkeypatch.setattr(persistence.save, "_write_file", failing_write)
    with pytest.raises(OSError, match="No space left"):
        save_bundle(target, {"x": np.arange(2)}, {}, files={"a": "1", "b": "2"}, overwrite=True)
    assert siblings(tmp_path) == ["m"]
    assert load_bundle(target).meta == SAMPLE_META


def test_the_rename_refuses_a_model_saved_by_someone_else_meanwhile(
    tmp_path: Path, monkeypatch: Any
) -> None:
    target = tmp_path / "m"
    real_write = persistence.save._write_file

    def racing_write(path: Path, data: bytes) -> dict[str, Any]:
        monkeypatch.setattr(persistence.save, "_write_file", real_write)
        save_bundle(target, {"x": np.array([2])}, {"who": "other"})  # wins the race
        return real_write(path, data)

    monkeypatch.setattr(persistence.save, "_write_file", racing_write)
    with pytest.raises(ModelExistsError, match="another process saved it"):
        save_bundle(target, {"x": np.array([1])}, {"who": "me"}, files={"r.txt": "x"})
    assert load_bundle(target).meta == {"who": "other"}
    assert siblings(tmp_path) == ["m"]


def test_overwrite_racing_another_overwrite_ends_with_one_complete_model(
    tmp_path: Path, monkeypatch: Any
) -> None:
    target = save_sample(tmp_path / "m")
    real_write = persistence.save._write_file

    def racing_write(path: Path, data: bytes) -> dict[str, Any]:
        monkeypatch.setattr(persistence.save, "_write_file", real_write)
        save_bundle(target, {"x": np.array([2])}, {"who": "other"}, overwrite=True)
        return real_write(path, data)

    monkeypatch.setattr(persistence.save, "_write_file", racing_write)
    save_bundle(target, {"x": np.array([1])}, {"who": "me"}, files={"r.txt": "x"}, overwrite=True)
    bundle = load_bundle(target)
    assert bundle.meta == {"who": "me"} and bundle.files == {"r.txt": b"x"}
    assert siblings(tmp_path) == ["m"]


def test_overwrite_refuses_a_file_that_appeared_meanwhile(tmp_path: Path, monkeypatch: Any) -> None:
    target = tmp_path / "m"
    real_write = persistence.save._write_file

    def racing_write(path: Path, data: bytes) -> dict[str, Any]:
        target.write_text("user notes", encoding="utf-8")
        return real_write(path, data)

    monkeypatch.setattr(persistence.save, "_write_file", racing_write)
    with pytest.raises(ModelExistsError, match="is a file"):
        save_bundle(target, {}, {}, files={"r.txt": "x"}, overwrite=True)
    assert target.read_text(encoding="utf-8") == "user notes"
    assert siblings(tmp_path) == ["m"]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@POSIX_ONLY
def test_stale_leftovers_are_cleaned_on_the_next_save_and_live_ones_kept(tmp_path: Path) -> None:
    dead, live = dead_pid(), os.getppid()
    stale = [f".m.tmp-{dead}-ab12", f".m.old-{dead}-cd34", f".m.tmp-{live}-0000"]
    kept = [f".m.tmp-{live}-ef56", ".m.tmp-notapid", f".other.tmp-{dead}-ab12", "m.tmp-1-ab"]
    for name in stale + kept:
        (tmp_path / name).mkdir()
        (tmp_path / name / "arrays.npz").write_bytes(b"partial")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(tmp_path / f".m.tmp-{live}-0000", (two_days_ago, two_days_ago))

    with pytest.raises(ModelFileError, match="interrupted"):  # never confused for a model
        load_bundle(tmp_path / "m")
    save_sample(tmp_path / "m")
    assert siblings(tmp_path) == sorted(["m", *kept])


CHILD_SAVE = r"""
import os, pathlib, sys, time
import numpy as np
from policyclf import persistence

target, ready, mode, overwrite = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
if mode == "mid-write":  # pause after arrays.npz and a.txt, before b.txt and manifest.json
    real_write = persistence.save._write_file
    def paused_write(path, data):
        entry = real_write(path, data)
        pathlib.Path(ready).touch()
        time.sleep(60)
        return entry
    persistence.save._write_file = paused_write
elif mode == "between-renames":  # pause after moving the old model aside
    real_rename = os.rename
    def paused_rename(src, dst):
        real_rename(src, dst)
        if ".old-" in os.fspath(dst):
            pathlib.Path(ready).touch()
            time.sleep(60)
    os.rename = paused_rename
persistence.save_bundle(
    target, {"w": np.full(50_000, 7.0)}, {"who": "new"},
    files={"a.txt": "a", "b.txt": "b"}, overwrite=overwrite,
)
"""


def kill_save_at(tmp_path: Path, target: Path, mode: str, overwrite: bool) -> None:
    """Run a save in a child process and SIGKILL it at a known point."""
    ready = tmp_path / f"ready-{mode}"
    args = [str(target), str(ready), mode, "1" if overwrite else "0"]
    proc = subprocess.Popen([sys.executable, "-c", CHILD_SAVE, *args])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert proc.poll() is None, f"the child save exited early ({proc.returncode})"
            assert time.monotonic() < deadline, "the child save never reached its pause"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


@POSIX_ONLY
def test_a_fresh_save_killed_mid_write_leaves_nothing_at_the_target(tmp_path: Path) -> None:
    models = tmp_path / "models"
    target = models / "m"
    kill_save_at(tmp_path, target, "mid-write", overwrite=False)
    assert not os.path.lexists(target)
    assert [n for n in siblings(models) if n.startswith(".m.tmp-")]  # the debris is hidden
    with pytest.raises(ModelFileError, match="interrupted before it finished"):
        load_bundle(target)
    save_sample(target)
    assert load_bundle(target).meta == SAMPLE_META
    assert siblings(models) == ["m"]


@POSIX_ONLY
def test_an_overwrite_killed_mid_write_keeps_the_old_model(tmp_path: Path) -> None:
    models = tmp_path / "models"
    target = save_sample(models / "m")
    kill_save_at(tmp_path, target, "mid-write", overwrite=True)
    bundle = load_bundle(target)
    assert bundle.meta == SAMPLE_META
    assert_same_arrays(bundle.arrays, sample_arrays())
    save_bundle(target, {"x": np.arange(2)}, {"later": True}, overwrite=True)
    assert load_bundle(target).meta == {"later": True}
    assert siblings(models) == ["m"]


@POSIX_ONLY
def test_an_overwrite_killed_between_the_renames_can_be_recovered(tmp_path: Path) -> None:
    models = tmp_path / "models"
    target = save_sample(models / "m")
    kill_save_at(tmp_path, target, "between-renames", overwrite=True)
    assert not os.path.lexists(target)
    with pytest.raises(ModelFileError, match=r"previous model, which is in .*\.m\.old-.*rename"):
        load_bundle(target)
    olds = [n for n in siblings(models) if n.startswith(".m.old-")]
    assert len(olds) == 1
    assert load_bundle(models / olds[0]).meta == SAMPLE_META  # intact, restorable
    save_bundle(target, {"x": np.arange(2)}, {"later": True})  # no overwrite needed
    assert load_bundle(target).meta == {"later": True}
    assert siblings(models) == ["m"]


CHILD_RACE = r"""
import os, pathlib, sys, time
import numpy as np
from policyclf.exceptions import ModelExistsError
from policyclf.persistence import save_bundle

target, ready, go, who = sys.argv[1:5]
arrays = {"who": np.array([who]), "data": np.full(20_000, float(len(who)))}
pathlib.Path(ready).touch()
while not os.path.exists(go):
    time.sleep(0.0005)
try:
    save_bundle(target, arrays, {"who": who}, files={"who.txt": who})
except ModelExistsError as exc:
    print(exc)
    sys.exit(3)
"""


@POSIX_ONLY
def test_two_concurrent_saves_to_a_new_path_have_exactly_one_winner(tmp_path: Path) -> None:
    models = tmp_path / "models"
    target = models / "m"
    go = tmp_path / "go"
    names = {"alpha": tmp_path / "ready-alpha", "beta-longer": tmp_path / "ready-beta"}
    procs = {
        who: subprocess.Popen(
            [sys.executable, "-c", CHILD_RACE, str(target), str(ready), str(go), who],
            stdout=subprocess.PIPE,
            text=True,
        )
        for who, ready in names.items()
    }
    try:
        deadline = time.monotonic() + 30
        while not all(ready.exists() for ready in names.values()):
            assert time.monotonic() < deadline, "the racing children never got ready"
            time.sleep(0.005)
        go.touch()
        outcomes = {who: proc.wait(timeout=30) for who, proc in procs.items()}
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()
    assert sorted(outcomes.values()) == [0, 3], outcomes
    winner = next(who for who, code in outcomes.items() if code == 0)
    loser = next(who for who, code in outcomes.items() if code == 3)
    loser_output = procs[loser].stdout
    assert loser_output is not None and "already exists" in loser_output.read()
    bundle = load_bundle(target)
    assert bundle.meta == {"who": winner}
    assert bundle.files == {"who.txt": winner.encode()}
    assert_same_arrays(
        bundle.arrays,
        {"who": np.array([winner]), "data": np.full(20_000, float(len(winner)))},
    )
    assert siblings(models) == ["m"]


# ------------------------------------------------------------------------- tagging models


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import policyclf

    return policyclf.load().save(tmp_path_factory.mktemp("m") / "default-copy")


def test_a_model_stores_its_vocabulary_as_utf8_lines(small_model: Path) -> None:
    import policyclf

    arrays = load_bundle(small_model).arrays
    assert "terms" not in arrays and arrays["terms_utf8"].dtype == np.uint8
    terms = arrays["terms_utf8"].tobytes().decode("utf-8").split("\n")
    assert terms == policyclf.load().featurizer.feature_names()[: len(terms)]


def test_a_format_1_model_still_loads_with_the_same_tags(
    small_model: Path, tmp_path: Path
) -> None:
    """0.1.0 wrote the vocabulary as a unicode array ``terms``; such folders still load."""
    import policyclf

    arrays = dict(load_bundle(small_model).arrays)
    terms = arrays.pop("terms_utf8").tobytes().decode("utf-8").split("\n")
    arrays["terms"] = np.array(terms)
    meta = read_manifest(small_model)["meta"]
    old = tmp_path / "v1"
    write_model_by_hand(old, {ARRAYS_NAME: npz_bytes(**arrays)}, meta, format_version=1)
    text = "对引进的高层次人才给予安家补贴，支持建设新型研发机构。"
    assert policyclf.load(old).tag(text) == policyclf.load(small_model).tag(text)


def test_a_model_without_a_vocabulary_names_the_missing_array(
    small_model: Path, tmp_path: Path
) -> None:
    import policyclf

    arrays = dict(load_bundle(small_model).arrays)
    del arrays["terms_utf8"]
    bad = tmp_path / "bad"
    write_model_by_hand(bad, {ARRAYS_NAME: npz_bytes(**arrays)}, read_manifest(small_model)["meta"])
    with pytest.raises(ModelFileError, match=r"lacks \['terms_utf8'\]"):
        policyclf.load(bad)


def test_a_vocabulary_that_is_not_utf8_is_a_model_file_error(
    small_model: Path, tmp_path: Path
) -> None:
    import policyclf

    arrays = dict(load_bundle(small_model).arrays)
    arrays["terms_utf8"] = np.concatenate([arrays["terms_utf8"], np.array([0xFF], np.uint8)])
    bad = tmp_path / "bad"
    write_model_by_hand(bad, {ARRAYS_NAME: npz_bytes(**arrays)}, read_manifest(small_model)["meta"])
    with pytest.raises(ModelFileError, match="inconsistent"):
        policyclf.load(bad)
