"""Data flows one way (docs/architecture.md): a sub-package imports only lower layers.

Read from the source with `ast`, so imports inside functions count too: an import
deferred to dodge a cycle is still a cycle.
"""

import ast
import pathlib

import keras_margin

PACKAGE = pathlib.Path(keras_margin.__file__).parent

# Each sub-package's layer; a module may import its own layer's package and lower ones.
LAYERS = {
    "utils": 0,
    "augment": 1,
    "data": 2,
    "heads": 3, "losses": 3, "metrics": 3, "optimizers": 3, "robustness": 3,
    "callbacks": 4, "distribution": 4, "retrieval": 4,
    "models": 5,
    "ssl": 6,
    "studies": 7,
    "cli": 8,
}


def imported_subpackages(path):
    """The `keras_margin` sub-packages a module imports, anywhere in it, with line numbers.
    `import keras_margin` alone (the public facade, read lazily as `km.x`) is left out."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "keras_margin" and len(parts) > 1:
                yield parts[1], node.lineno


def test_every_sub_package_has_a_layer():
    subpackages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert subpackages == set(LAYERS)


def test_no_module_imports_a_higher_layer():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if len(relative.parts) < 2:
            continue  # the package root re-exports every layer
        layer = LAYERS[relative.parts[0]]
        upward += [f"{relative}:{line} imports keras_margin.{target}"
                   for target, line in imported_subpackages(path)
                   if target in LAYERS and LAYERS[target] > layer]
    assert upward == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "deferred.py"
    module.write_text("def f():\n    from keras_margin.models import recipe\n")
    assert list(imported_subpackages(module)) == [("models", 2)]
