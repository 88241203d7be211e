"""The shape docs/architecture.md promises, kept: every app's top-level modules are the agreed ones
or an exception the page names with its reason, and no import of the project's own modules hides
inside a function (the way a service once dodged a cycle with its tasks); an app's `ready()` is the
one place for it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BETANG = ROOT / "betang"
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")

ANATOMY = {
    "__init__.py", "models.py", "services", "services.py", "selectors.py", "views.py", "urls.py", "api.py",
    "tasks.py", "posting.py", "contracts.py", "printing.py", "apps.py", "admin.py", "forms.py",
    "migrations", "management", "templates", "templatetags", "static", "__pycache__",
}  # fmt: skip
APPS = ("regions", "accounts", "registry", "ledger", "aid", "fund", "outlets")


def _extras() -> list[str]:
    return sorted(
        f"{app}/{entry.name}" for app in APPS for entry in (BETANG / app).iterdir() if entry.name not in ANATOMY
    )


@pytest.mark.parametrize("extra", _extras())
def test_a_module_outside_the_anatomy_is_named_on_the_architecture_page(extra):
    name = extra.removesuffix(".py").removesuffix("/")
    assert f"`{name}" in ARCHITECTURE, f"{extra}: say on docs/architecture.md why it sits at the app's top"


def _ours(node: ast.AST) -> bool:
    """An import of the project's own modules (a library imported late, for start-up time or memory,
    is no cycle being dodged)."""
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").startswith("betang") or node.level > 0
    return isinstance(node, ast.Import) and any(alias.name.startswith("betang") for alias in node.names)


def _function_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node: ast.AST, in_function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if _ours(child) and in_function and in_function != "ready":
                found.append(f"{path.relative_to(ROOT)}:{child.lineno} in {in_function}()")
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else in_function
            visit(child, inner)

    visit(tree, None)
    return found


def test_no_import_hides_inside_a_function():
    paths = [p for p in BETANG.rglob("*.py") if "migrations" not in p.parts]
    assert [found for p in paths for found in _function_imports(p)] == []
