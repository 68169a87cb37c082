"""Package attributes that import their module on first use (PEP 562)."""

import importlib
import sys


def lazy_attributes(package, attributes):
    """`__getattr__` and `__dir__` for `package`, importing `attributes` on first use.

    Args:
        package: the package's `__name__`.
        attributes: `{name: (module, attribute)}`: `package.name` is `module.attribute`,
            or the module itself where `attribute` is None.

    Returns:
        `(__getattr__, __dir__)`, to assign in the package's `__init__.py`.
    """

    def __getattr__(name):
        if name not in attributes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, attribute = attributes[name]
        module = importlib.import_module(module_name)
        value = module if attribute is None else getattr(module, attribute)
        setattr(sys.modules[package], name, value)  # later look-ups skip __getattr__
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(attributes))

    return __getattr__, __dir__
