"""The built wheel works on its own: data files inside, installable into a clean venv, and
``policyclf tag`` runs from a folder that is not the repository."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEXT = "对引进的高层次人才给予安家补贴。"

#: Files a working installation needs, as they must appear inside the wheel.
REQUIRED = (
    "policyclf/_data/labels/taxonomy.toml",
    "policyclf/_data/corpus/paragraphs.jsonl",
    "policyclf/_data/models/default/manifest.json",
    "policyclf/_data/models/default/arrays.npz",
    "policyclf/data/policy_terms.txt",
    "policyclf/py.typed",
    "policyclf/cli/main.py",
    "policyclf/__main__.py",
)


def _run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    # without PYTHONPATH: a checkout on it (PYTHONPATH=$PWD pytest) would shadow the wheel
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    p = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
    assert p.returncode == 0, f"{args} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
    return p


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)], cwd=ROOT)
    wheels = list(out.glob("policyclf-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.mark.slow
def test_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        missing = [n for n in REQUIRED if n not in names]
        assert not missing, f"the wheel lacks {missing}"
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "policyclf = policyclf.cli.main:main" in zf.read(entry_points).decode()
        shipped = zf.read("policyclf/_data/models/default/manifest.json")
    bundled = (ROOT / "models" / "default" / "manifest.json").read_bytes()
    assert shipped == bundled  # the wheel carries the repository's default model as is
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


@pytest.mark.slow
def test_wheel_installs_into_clean_venv_and_tags(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"  # not the repository: data must come from the wheel
    elsewhere.mkdir()
    command = str(bindir / ("policyclf.exe" if os.name == "nt" else "policyclf"))
    tagged = _run([command, "tag", TEXT], cwd=elsewhere)
    row = json.loads(tagged.stdout)
    assert row["text"] == TEXT and "talent" in row["labels"]

    where = _run(
        [str(python), "-c", "import policyclf; print(policyclf.default_model_path())"],
        cwd=elsewhere,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv) and "_data" in Path(where).parts

    info = _run([command, "info"], cwd=elsewhere).stdout
    manifest = Path(where) / "manifest.json"
    assert f"sha256:{hashlib.sha256(manifest.read_bytes()).hexdigest()}" in info
    codebook = _run([command, "taxonomy"], cwd=elsewhere).stdout
    assert "talent" in codebook
