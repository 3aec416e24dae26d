"""The rules between the rooms (docs/architecture.md), read from the source's imports.

- the core (emoji_fer's top-level modules) imports neither emoji_fer.app nor
  emoji_fer.feedback, nor their dependencies (Gradio, SQLAlchemy, ...); another extra's
  package (TensorFlow for a .keras model, MTCNN, matplotlib, scikit-learn) only inside
  the function that needs it, so the core imports on a base install;
- emoji_fer.feedback imports nothing of emoji_fer.app; only emoji_fer.app imports Gradio;
  emoji_fer.ray (the [ray] extra) is imported by no core module;
- the library imports nothing from train/, convert/, scripts/, tests/ or demo.py;
- scripts use tests.support only, never a test module; a test module imports no other
  test module; tests/support imports neither scripts nor tests;
- no import cycle between modules of the repository.

Every import counts, also those inside functions: a lazy import is still a dependency.
"""

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "emoji_fer"
# Top-level modules that are entry points, not core: the CLI's `feedback` commands open
# the store (lazily, with the remedy when the extra is missing).
ENTRY_POINTS = {"emoji_fer.cli", "emoji_fer.__main__"}
# What the base install has (pyproject.toml's dependencies, by import name); the core
# may import these and the standard library, nothing else.
BASE = {"numpy", "PIL", "cv2", "ai_edge_litert", "dlib", "tqdm"}
# Optional dependencies (the extras) as imported.
ROOM_DEPENDENCIES = {"gradio", "gradio_client", "fastapi", "uvicorn", "starlette", "sqlalchemy", "alembic",
                     "platformdirs", "psycopg"}
OPTIONAL = ROOM_DEPENDENCIES | {"matplotlib", "pandas", "sklearn", "tensorflow", "keras", "mtcnn", "pyarrow", "ray"}
# Modules that are an extra's whole reason to exist (`pip install "emoji-fer[ray]"` adds
# emoji_fer.ray): like a room, only entry points import them, and only when asked.
EXTRA_MODULES = {"emoji_fer.ray": "ray"}
REPOSITORY_TOOLS = {"train", "convert", "scripts", "tests", "demo"}


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules():
    """{module name: path} for every Python module of the repository's own code."""
    found = {}
    for folder in ("emoji_fer", "train", "convert", "scripts", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            if "node_modules" not in path.parts:
                found[module_name(path)] = path
    found["demo"] = ROOT / "demo.py"
    return found


MODULES = modules()


def imports(name, module_level=False):
    """The absolute names module `name` imports (a relative import resolved; for
    `from X import Y`, X.Y when that is a module of the repository, else X); with
    `module_level`, only the imports run when the module is imported (not in functions)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    out = set()
    for node in _module_level(tree) if module_level else ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                out.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return out


def _module_level(tree):
    """The nodes run at import time: everything outside function bodies."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def internal_imports(name):
    """The repository's own modules that `name` imports, by the longest known prefix."""
    found = set()
    for imported in imports(name):
        parts = imported.split(".")
        for n in range(len(parts), 0, -1):
            candidate = ".".join(parts[:n])
            if candidate in MODULES:
                if candidate != name:
                    found.add(candidate)
                break
    return found


def top(name):
    return name.split(".")[0]


def in_room(name, room):
    return name == room or name.startswith(room + ".")


CORE = sorted(n for n in MODULES if top(n) == "emoji_fer" and n.count(".") <= 1 and n not in ENTRY_POINTS
              and n not in EXTRA_MODULES and not in_room(n, "emoji_fer.app") and not in_room(n, "emoji_fer.feedback")
              and n != "emoji_fer")


def offending(names, rule, module_level=False):
    return sorted(f"{name} imports {imported}" for name in names for imported in imports(name, module_level)
                  if rule(imported))


def test_the_rooms_are_where_the_rules_say():
    assert "emoji_fer.predictor" in CORE and "emoji_fer.images" in CORE and "emoji_fer.labels" in CORE
    assert "emoji_fer.feedback.store" in MODULES and "emoji_fer.app.photo_tab" in MODULES
    assert not any(in_room(n, "emoji_fer.app") or in_room(n, "emoji_fer.feedback") for n in CORE)


def test_the_core_imports_neither_the_app_nor_the_feedback_store():
    assert offending(CORE, lambda m: in_room(m, "emoji_fer.app") or in_room(m, "emoji_fer.feedback")
                     or m in EXTRA_MODULES) == []
    assert offending(CORE, lambda m: top(m) in ROOM_DEPENDENCIES) == []
    assert offending(CORE + sorted(ENTRY_POINTS), lambda m: top(m) in OPTIONAL, module_level=True) == []


def test_the_feedback_room_does_not_import_the_app_and_only_the_app_imports_gradio():
    feedback = [n for n in MODULES if in_room(n, "emoji_fer.feedback")]
    assert offending(feedback, lambda m: in_room(m, "emoji_fer.app")) == []
    library = [n for n in MODULES if top(n) == "emoji_fer"]
    not_app = [n for n in library if not in_room(n, "emoji_fer.app")]
    assert offending(not_app, lambda m: top(m) in {"gradio", "gradio_client", "fastapi", "uvicorn"}) == []


def test_the_library_imports_nothing_from_the_repository_tools():
    library = [n for n in MODULES if top(n) == "emoji_fer"]
    assert offending(library, lambda m: top(m) in REPOSITORY_TOOLS) == []


def test_scripts_and_tests_meet_only_in_tests_support():
    scripts = [n for n in MODULES if top(n) == "scripts"]
    support = [n for n in MODULES if in_room(n, "tests.support")]
    test_modules = [n for n in MODULES if n.startswith("tests.test_")]
    assert offending(scripts, lambda m: top(m) == "tests" and not in_room(m, "tests.support")) == []
    assert offending(support, lambda m: top(m) == "scripts" or (top(m) == "tests" and not in_room(m, "tests.support")
                                                                and m != "tests")) == []
    # A test module may import the script it tests (tests/test_bench_*.py) and conftest's
    # names, never another test module.
    assert offending(test_modules, lambda m: m.startswith("tests.test_")) == []


def strongly_connected(graph):
    """Tarjan's algorithm: the strongly connected components of {node: set(nodes)}."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.add(other)
                if other == node:
                    break
            components.append(component)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_no_module_imports_itself_through_others():
    # A package's __init__ re-exporting its modules is not a cycle of the design.
    graph = {name: {m for m in internal_imports(name) if not name.startswith(m + ".")} for name in MODULES}
    cycles = [sorted(c) for c in strongly_connected(graph) if len(c) > 1]
    assert cycles == []


# Imports every core module (and the CLI) with every optional dependency made
# unimportable, as on a base install (`pip install emoji-fer`).
BLOCKED_IMPORT = textwrap.dedent("""
    import importlib, importlib.abc, sys
    BLOCKED = set(sys.argv[1].split(","))

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"blocked by the architecture test: {name}")

    sys.meta_path.insert(0, Block())
    for name in sys.argv[2:]:
        importlib.import_module(name)
    loaded = sorted({n.split(".")[0] for n in sys.modules} & BLOCKED)
    assert not loaded, loaded
    print("imported", len(sys.argv) - 2)
""")


def test_the_core_and_the_cli_import_on_a_base_install(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", BLOCKED_IMPORT, ",".join(sorted(OPTIONAL | REPOSITORY_TOOLS)),
                           *CORE, *sorted(ENTRY_POINTS - {"emoji_fer.__main__"})],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["imported", str(len(CORE) + 1)]


@pytest.mark.parametrize("room, extra", [("emoji_fer.app", "demo"), ("emoji_fer.feedback", "feedback"),
                                         ("emoji_fer.ray", "ray")])
def test_a_room_without_its_extra_says_which_extra_to_install(tmp_path, room, extra):
    blocked = {"emoji_fer.app": "gradio", "emoji_fer.feedback": "sqlalchemy", "emoji_fer.ray": "ray"}[room]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = BLOCKED_IMPORT.replace('print("imported", len(sys.argv) - 2)', "")
    proc = subprocess.run([sys.executable, "-c", code, blocked, room], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "ImportError" in proc.stderr or "ModuleNotFoundError" in proc.stderr
    if room != "emoji_fer.feedback":  # these check first and name the extra
        assert f"emoji-fer[{extra}]" in proc.stderr
