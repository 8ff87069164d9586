"""The package's import graph: NengoDL integration at the edge, no cycles."""

import ast
import pathlib

import nengo_dl_trainable

PACKAGE = pathlib.Path(nengo_dl_trainable.__file__).parent
INTEGRATION = "nengo_dl_trainable._nengo_dl"


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_imports():
    """Each module of the package -> the package modules it imports at module level.

    Imports inside functions are left out (they run later, not at import).
    """
    modules = {
        _module_name(path): path
        for path in PACKAGE.rglob("*.py")
        if "tests" not in path.relative_to(PACKAGE).parts
    }
    graph = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                # "from package import module"
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {m for m in imported if m in modules and m != name}
    return graph


def find_cycle(graph):
    """A cycle of the graph as a list of names (first == last), or None."""
    done = set()

    def visit(node, path):
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        for nxt in sorted(graph[node]):
            found = visit(nxt, path + [node])
            if found:
                return found
        done.add(node)
        return None

    for node in sorted(graph):
        found = visit(node, [])
        if found:
            return found
    return None


def test_find_cycle_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"b"}}) == ["b", "c", "b"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle():
    graph = module_imports()
    assert len(graph) > 20  # the walk found the package's modules
    assert find_cycle(graph) is None


def test_integration_imports_no_domain_module():
    graph = module_imports()
    integration = [name for name in graph if name.startswith(INTEGRATION)]
    assert len(integration) >= 5
    for name in integration:
        outside = {m for m in graph[name] if not m.startswith(INTEGRATION)}
        assert not outside, f"{name} imports {outside}"


def test_every_subpackage_is_packaged():
    """The wheel lists its packages: a new subpackage must be listed too."""
    import tomllib

    import pytest

    pyproject = PACKAGE.parent / "pyproject.toml"
    if not pyproject.exists():
        pytest.skip("not a source checkout (the installed package has no pyproject)")
    listed = set(tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["packages"])
    # every folder with Python files (the tests folder has no __init__.py)
    found = {
        ".".join(path.parent.relative_to(PACKAGE.parent).parts)
        for path in PACKAGE.rglob("*.py")
    }
    assert found == listed
