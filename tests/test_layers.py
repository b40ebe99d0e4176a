"""The package's layers: imports point one way, from reports and storage down to tagging.

text, tokenize, taxonomy, exceptions, resources     (foundations)
features → evidence → tags → model                  (tagging)
evaluation (reports), persistence (storage)         (above tagging)
estimator, training, labelfiles, corpus, cli, dask  (above both)

Inside the persistence and labelfiles subpackages, too, each module imports only the ones
listed before it in :data:`SUBPACKAGES` (the generic bundle format knows nothing about models).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "policyclf"

TAGGING = ["text", "tokenize", "taxonomy", "exceptions", "resources", "_scan", "analyzed"]
TAGGING += ["features", "evidence", "tags", "model"]
ABOVE_TAGGING = {"evaluation", "persistence", "estimator", "training", "labelfiles", "corpus"}
ABOVE_TAGGING |= {"cli", "dask", "analysis", "active"}
#: The upward calls, each imported only when called: Model.save is a shortcut for
#: persistence.save_model; Model.tag_corpus/profile and the notebook/HTML views of Tag and
#: DocumentTags are thin wrappers over policyclf.analysis; Model.suggest over policyclf.active.
ALLOWED = {
    ("model", "persistence", "save"),
    ("model", "analysis", "tag_corpus"),
    ("model", "analysis", "profile"),
    ("model", "active", "suggest"),
    ("tags", "analysis", "_repr_html_"),
    ("tags", "analysis", "to_html"),
}


#: Subpackages and their modules, lowest first: each may import only those before it.
SUBPACKAGES = {
    "persistence": ["manifest", "save", "load", "models"],
    "labelfiles": [
        *["rows", "detect", "table", "csvlike", "excel", "jsonl", "labelstudio"],
        *["validate", "duplicates", "read"],
    ],
}


def _imports(module: str, *, inside: str = "") -> list[tuple[str, str]]:
    """(imported policyclf module, enclosing function or '') for every import in ``module``
    that runs (``if TYPE_CHECKING:`` blocks, read by type checkers only, are skipped).

    With ``inside`` (a subpackage), ``module`` is one of its modules and relative imports of
    its siblings are reported as ``"<inside>.<sibling>"``."""
    path = PACKAGE / inside / f"{module}.py" if inside else PACKAGE / f"{module}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, str]] = []

    def visit(node: ast.AST, func: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) == "TYPE_CHECKING":
                continue  # annotations only: nothing is imported at run time
            if isinstance(child, ast.If) and ast.unparse(child.test) == "TYPE_CHECKING":
                continue  # for type checkers only: never imported at run time
            name = (
                child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else func
            )
            if isinstance(child, ast.ImportFrom):
                if inside and child.level == 1 and child.module:
                    found.append((f"{inside}.{child.module.split('.')[0]}", name))
                elif child.level == (2 if inside else 1) and child.module:
                    found.append((child.module.split(".")[0], name))
                elif child.level == 0 and child.module and child.module.startswith("policyclf."):
                    found.append((child.module.split(".")[1], name))
            elif isinstance(child, ast.Import):
                found.extend((a.name.split(".")[1], name) for a in child.names if "." in a.name)
            visit(child, name)

    visit(tree, "")
    return found


@pytest.mark.parametrize("module", TAGGING)
def test_tagging_modules_never_import_reports_storage_or_training(module: str) -> None:
    upward = [
        (target, func)
        for target, func in _imports(module)
        if target in ABOVE_TAGGING and (module, target, func) not in ALLOWED
    ]
    assert upward == [], f"policyclf.{module} imports upward: {upward}"


def test_reports_do_not_import_storage() -> None:
    assert [t for t, _ in _imports("evaluation") if t == "persistence"] == []


def test_the_upward_check_sees_lazy_imports() -> None:
    # the checker must find imports inside functions, or the tests above could not fail
    assert ("persistence", "save") in _imports("model")
    assert ("evaluation", "to_model") in _imports("estimator")


@pytest.mark.parametrize("module", ["policyclf.model", "policyclf.tags", "policyclf.evidence"])
def test_importing_the_tagger_loads_no_report_storage_or_training_code(module: str) -> None:
    code = (
        f"import sys, {module}, policyclf\n"
        "policyclf.load().tag('对新引进的博士给予安家补贴。')\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    loaded = {m.split(".")[1] for m in out if m.startswith("policyclf.")}
    # loading a model is storage's job (policyclf.load → persistence → evaluation.Report);
    # what must stay out is training and everything that pulls in scikit-learn or pandas
    assert not loaded & {"estimator", "training", "labelfiles", "corpus", "cli"}, loaded
    assert not {m for m in out if m.split(".")[0] in {"sklearn", "scipy", "pandas"}}


@pytest.mark.parametrize("module", ["policyclf.model", "policyclf.tags", "policyclf.evidence"])
def test_importing_the_tagger_alone_loads_no_report_or_storage(module: str) -> None:
    code = f"import sys, {module}\nprint(' '.join(sorted(sys.modules)))\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    loaded = {m.split(".")[1] for m in out if m.startswith("policyclf.")}
    assert not loaded & ABOVE_TAGGING, loaded


@pytest.mark.parametrize(
    ("package", "module"),
    [(package, module) for package, modules in SUBPACKAGES.items() for module in modules],
)
def test_subpackage_modules_import_only_lower_siblings(package: str, module: str) -> None:
    modules = SUBPACKAGES[package]
    lower = {f"{package}.{m}" for m in modules[: modules.index(module)]}
    found = _imports(module, inside=package)
    siblings = {target for target, _ in found if target.startswith(f"{package}.")}
    assert siblings <= lower, f"policyclf.{package}.{module} imports {siblings - lower}"


def test_every_subpackage_module_is_placed() -> None:
    for package, modules in SUBPACKAGES.items():
        present = {p.stem for p in (PACKAGE / package).glob("*.py")} - {"__init__"}
        assert present == set(modules), package


def test_the_bundle_format_knows_nothing_about_models() -> None:
    for module in ["manifest", "save", "load"]:
        found = {target for target, _ in _imports(module, inside="persistence")}
        assert found <= {"exceptions", "persistence.manifest", "persistence.save"}, found
    assert ("persistence.manifest", "") in _imports("save", inside="persistence")
