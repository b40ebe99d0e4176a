"""The active-learning loop against a real Label Studio server (slow; CI runs it).

suggest → Label Studio tasks with predictions → a project with the generated interface →
annotations submitted through the HTTP API as a coder would (correcting the pre-annotations) →
Label Studio's own JSON export → policyclf.read_labelled / policyclf.train.

Label Studio lives in its own virtual environment (its dependencies pin versions ours do not):
``.ci/run`` installs it once into ``~/.cache/policyclf-ci`` and points
``POLICYCLF_LABEL_STUDIO`` at its ``label-studio`` command. The server listens on 127.0.0.1 only,
keeps its data in a temporary folder, and is stopped by the test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import policyclf
from policyclf.annotation import FROM_NAME, TO_NAME, labelstudio_config, write_batch
from policyclf.labelfiles import read_labelled

pytestmark = pytest.mark.slow

DOCS = Path(__file__).parent / "data" / "documents"
LS_VERSION = "1.23.2"
TOKEN = "policyclf0test0token0123456789"
START_TIMEOUT = 420  # seconds: the first start of a fresh data dir runs every migration
REQUEST_TIMEOUT = 60


def _label_studio() -> str | None:
    given = os.environ.get("POLICYCLF_LABEL_STUDIO")
    if given:
        return given if Path(given).exists() else None
    cached = Path.home() / ".cache" / "policyclf-ci" / f"label-studio-{LS_VERSION}"
    exe = cached / "bin" / "label-studio"
    return str(exe) if exe.exists() else shutil.which("label-studio")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM when the test process dies (even by SIGKILL or a timeout),
    so a killed test run never leaves a Label Studio server behind."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Server:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: Any = None, raw: bool = False) -> Any:
        req = urllib.request.Request(
            self.base + path,
            method=method,
            headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"},
            data=None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8"),
        )
        try:
            with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT) as r:
                data = r.read()
        except urllib.error.HTTPError as e:  # pragma: no cover - shown when the API changes
            raise AssertionError(f"{method} {path}: HTTP {e.code}: {e.read()[:800]!r}") from e
        return data if raw else (json.loads(data) if data else None)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Server]:
    exe = _label_studio()
    if exe is None:
        if os.environ.get("POLICYCLF_REQUIRE_LABEL_STUDIO"):
            pytest.fail("POLICYCLF_REQUIRE_LABEL_STUDIO is set but label-studio was not found")
        pytest.skip(
            f"label-studio is not installed (pip install label-studio=={LS_VERSION} into its "
            "own venv and set POLICYCLF_LABEL_STUDIO to its label-studio command; .ci/run "
            "does this)"
        )
    home = tmp_path_factory.mktemp("label-studio")
    port = _free_port()
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(home / "data"),
        "LABEL_STUDIO_USERNAME": "coder@example.com",
        "LABEL_STUDIO_PASSWORD": "policyclf-coder-pw",
        "LABEL_STUDIO_USER_TOKEN": TOKEN,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
    }
    env.pop("VIRTUAL_ENV", None)
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            exe,
            "start",
            "--no-browser",
            "--internal-host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(home / "data"),
        ],
        cwd=home,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"label-studio exited with {proc.returncode}:\n"
                    + (home / "server.log").read_text(errors="replace")[-3000:]
                )
            try:
                with urllib.request.urlopen(base + "/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"label-studio did not answer on {base} within {START_TIMEOUT} s:\n"
                    + (home / "server.log").read_text(errors="replace")[-3000:]
                )
            time.sleep(2)
        yield _Server(base)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()


def _corrected(predicted: list[str], k: int) -> list[str]:
    """What a coder submits: the pre-annotation, corrected on some tasks."""
    if k % 3 == 1:
        return [x for x in predicted if x != "governance"] or ["governance"]
    if k % 3 == 2:
        return sorted(set(predicted) | {"platform"})
    return predicted


def test_suggest_labelstudio_export_train(server: _Server, tmp_path: Path) -> None:
    m = policyclf.load()
    batch = m.suggest([DOCS], n=12, seed=0)
    assert len(batch) == 12
    tasks_file = write_batch(batch, tmp_path / "batch.json")

    project = server.call(
        "POST",
        "/api/projects",
        {"title": "policyclf round trip", "label_config": labelstudio_config(m.taxonomy)},
    )
    pid = project["id"]
    imported = server.call(
        "POST", f"/api/projects/{pid}/import", json.loads(tasks_file.read_text("utf-8"))
    )
    assert imported["task_count"] == 12
    assert imported["prediction_count"] == 12

    listed = server.call("GET", f"/api/tasks?project={pid}&page_size=100")
    tasks = sorted(listed["tasks"] if isinstance(listed, dict) else listed, key=lambda t: t["id"])
    assert len(tasks) == 12
    expected: dict[str, tuple[str, ...]] = {}
    by_ref = batch.set_index("id")
    for k, task in enumerate(tasks[:-1]):  # the coder leaves the last task unlabelled
        preds = server.call("GET", f"/api/predictions?task={task['id']}")
        preds = preds["results"] if isinstance(preds, dict) else preds
        assert len(preds) == 1
        predicted = [c for r in preds[0]["result"] for c in r["value"]["choices"]]
        row = by_ref.loc[task["data"]["ref"]]
        assert predicted == [x for x in row["labels"].split(";") if x]
        chosen = _corrected(predicted, k)
        result = (
            [
                {
                    "from_name": FROM_NAME,
                    "to_name": TO_NAME,
                    "type": "choices",
                    "value": {"choices": chosen},
                    "origin": "prediction-changed" if chosen != predicted else "prediction",
                }
            ]
            if chosen
            else []
        )
        server.call(
            "POST",
            f"/api/tasks/{task['id']}/annotations",
            {
                "result": result,
                "was_cancelled": False,
                "lead_time": 5.0 + k,
                "parent_prediction": preds[0]["id"],
            },
        )
        expected[task["data"]["text"]] = tuple(x for x in m.labels if x in chosen)

    exported = server.call(
        "GET", f"/api/projects/{pid}/export?exportType=JSON&download_all_tasks=true", raw=True
    )
    export_file = tmp_path / "project-export.json"
    export_file.write_bytes(exported)

    with pytest.warns(UserWarning, match="skipped 1 task"):
        rows = read_labelled(export_file)
    assert {r.text: r.labels for r in rows} == expected
    docs = dict(zip(batch["text"], batch["doc"], strict=True))
    assert all(r.group == docs[r.text] for r in rows)

    with pytest.warns(UserWarning, match="skipped 1 task"):
        retrained = policyclf.train(extra=export_file, n_folds=3)
    assert retrained.metadata["added_rows"] == 11
    comparison = retrained.report["comparison"]
    assert set(comparison["labels"]) == set(m.labels)
    again = retrained.suggest([DOCS], n=12, exclude=[export_file])
    assert not set(again["text"]) & set(expected)
