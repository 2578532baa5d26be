"""The import rules of DESIGN.md, read from the source with `ast` (nothing is imported):

- no app imports `config` (settings, urls, the Celery app and wsgi are wiring, not a library);
- `core` imports none of the apps;
- inside one app there is no circle of imports, counting the imports inside functions too
  (a function-level import only hides a circle, it does not remove it)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KNOWN_APPS = ("accounts", "bookings", "cinema", "notifications", "core", "ops", "web")
APPS = sorted(set(KNOWN_APPS) | {p.parent.name for p in ROOT.glob("*/apps.py")})


def modules_of(app):
    """{dotted module name: path} of every Python file of the app (its package __init__ as `app`)."""
    found = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imported_names(module, path):
    """Every module name an import statement of the file names, anywhere in it (relative ones
    resolved; `from x import y` gives both `x` and `x.y`, whichever of them is a module)."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            yield source
            for alias in node.names:
                yield f"{source}.{alias.name}"


def app_of(name):
    return name.split(".")[0]


def imports_of_app(app):
    """{module: set of imported names} for the app."""
    return {module: set(imported_names(module, path)) for module, path in modules_of(app).items()}


def internal_graph(app):
    """{module: modules of the same app it imports}."""
    modules = modules_of(app)
    graph = {}
    for module, names in imports_of_app(app).items():
        targets = set()
        for name in names:
            # the longest prefix that is a module of this app: `bookings.models.Booking` -> bookings.models
            parts = name.split(".")
            for end in range(len(parts), 0, -1):
                candidate = ".".join(parts[:end])
                if candidate in modules:
                    if candidate != module:
                        targets.add(candidate)
                    break
        graph[module] = targets
    return graph


def circles(graph):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_config(app):
    offenders = {
        module: sorted(name for name in names if app_of(name) == "config")
        for module, names in imports_of_app(app).items()
    }
    assert {m: n for m, n in offenders.items() if n} == {}


def test_core_imports_no_app():
    apps = set(APPS) - {"core"}
    offenders = {
        module: sorted(name for name in names if app_of(name) in apps)
        for module, names in imports_of_app("core").items()
    }
    assert {m: n for m, n in offenders.items() if n} == {}


@pytest.mark.parametrize("app", APPS)
def test_no_circle_of_imports_inside_an_app(app):
    assert circles(internal_graph(app)) == []


def test_the_reader_sees_a_circle_hidden_in_a_function(tmp_path, monkeypatch):
    """The check itself: a function-level import that closes a circle is found."""
    package = tmp_path / "demo_app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "apps.py").write_text("")
    (package / "a.py").write_text("from .b import thing\n")
    (package / "b.py").write_text("def thing():\n    from demo_app import a\n    return a\n")
    (package / "c.py").write_text("from . import a\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)

    assert circles(internal_graph("demo_app")) == [["demo_app.a", "demo_app.b"]]
