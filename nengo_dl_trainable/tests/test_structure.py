"""The package's layout: layers that import downwards only, patches at the edge."""

import ast
import pathlib

import pytest

import nengo_dl_trainable

PACKAGE = pathlib.Path(nengo_dl_trainable.__file__).parent
INTEGRATION = "nengo_dl_trainable._nengo_dl"

#: The layers of the package, lowest first (``docs/how_it_works.rst`` draws them):
#: a module may import modules of its own layer and of lower layers only. Each
#: entry names modules or folders under ``nengo_dl_trainable.``; the longest
#: match places a module.
LAYERS = (
    ("_nengo_dl",),  # every patch of NengoDL, Nengo and Keras
    ("errors", "version"),
    ("synapses", "neurons"),  # the types core Nengo runs
    ("config",),  # the trainable_params API
    ("parameterizations",),  # stored values <-> Nengo objects
    ("builder.operators", "builder.record"),  # what a build makes and records
    ("merged_rows", "synapse_builders", "neuron_builders"),  # NengoDL op builders
    ("builder",),  # the Nengo build functions
    ("tools",),  # summary, freezing, checkpoints, the optimizer's step
    ("integrations",),  # KerasSpiking, tf.distribute
    ("", "_old_paths", "conftest"),  # the package's __init__: the public API
)


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


def layer_of(module):
    """The index in `LAYERS` of a package module (the longest matching entry)."""
    relative = module.removeprefix("nengo_dl_trainable").removeprefix(".")
    best = None
    for index, entries in enumerate(LAYERS):
        for entry in entries:
            matches = relative == entry or (entry and relative.startswith(entry + "."))
            if matches and (best is None or len(entry) > best[1]):
                best = (index, len(entry))
    assert best is not None, f"{module} is in no layer of LAYERS"
    return best[0]


def test_layer_of_places_modules():
    assert layer_of("nengo_dl_trainable.builder.operators") == 5
    assert layer_of("nengo_dl_trainable.builder.connection") == 7
    assert layer_of("nengo_dl_trainable") == len(LAYERS) - 1
    with pytest.raises(AssertionError, match="in no layer"):
        layer_of("nengo_dl_trainable.elsewhere")


def test_imports_point_down_the_layers():
    graph = module_imports()
    upward = [
        f"{name} ({layer_of(name)}) imports {imported} ({layer_of(imported)})"
        for name, imports in sorted(graph.items())
        for imported in sorted(imports)
        if layer_of(imported) > layer_of(name)
    ]
    assert not upward


#: Modules whose objects are patched (an attribute set on them or on what they
#: define) only in `INTEGRATION`.
PATCHED_ROOTS = ("nengo", "nengo_dl", "tensorflow", "keras", "tf_keras")


def _patches(path):
    """Attributes of NengoDL, Nengo or Keras objects that a module assigns."""
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(
                (alias.asname or alias.name).split(".")[0]
                for alias in node.names
                if alias.name.split(".")[0] in PATCHED_ROOTS
            )
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in PATCHED_ROOTS:
                imported.update(alias.asname or alias.name for alias in node.names)
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("setattr", "delattr")
            and node.args
        ):
            targets = [ast.Attribute(value=node.args[0], attr="?")]
        for target in targets:
            for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                root = element
                while isinstance(root, (ast.Attribute, ast.Subscript)):
                    root = root.value
                if (
                    element is not root
                    and isinstance(root, ast.Name)
                    and root.id in imported
                ):
                    found.append(f"{path.name}:{node.lineno} {ast.unparse(element)}")
    return found


def test_patches_finds_a_patch(tmp_path):
    module = tmp_path / "patching.py"
    module.write_text(
        "import nengo_dl\nfrom nengo.params import Parameter\n"
        "nengo_dl.L = 1\nParameter.__set__ = None\nsetattr(Parameter, 'x', 1)\n"
        "local = {}\nlocal['a'] = 1\n"
    )
    assert len(_patches(module)) == 3


def test_no_domain_module_patches_nengo_dl_or_nengo():
    """Every patch of NengoDL, Nengo or Keras is in `INTEGRATION`."""
    found = [
        patch
        for path in PACKAGE.rglob("*.py")
        if not {"tests", "_nengo_dl"} & set(path.relative_to(PACKAGE).parts)
        for patch in _patches(path)
    ]
    assert not found


def test_collects_without_the_keras_spiking_extra():
    """``pip install .[tests]`` then ``pytest``: tests needing an extra skip.

    Collects the folder of the optional integrations (where the tests that need
    ``keras_spiking`` are), to keep the check to a few seconds.
    """
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['keras_spiking'] = None  # the extra is absent\n"
        "import pytest\n"
        "sys.exit(pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider', "
        f"{str(PACKAGE / 'tests' / 'integrations')!r}]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "test_converter.py" not in result.stdout  # skipped at collection
    assert "tests collected" in result.stdout
