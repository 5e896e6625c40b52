"""Lazy attribute loading for package ``__init__`` files (keeps ``import skfmm`` light).

``__getattr__, __dir__, __all__ = attach(__name__, {"Name": "skfmm.module", ...})``.
"""

import importlib


def attach(package, mapping, eager=()):
    """Return ``(__getattr__, __dir__, __all__)`` that import ``mapping``'s names on first use."""
    names = sorted(set(mapping) | set(eager))

    def __getattr__(name):
        if name in mapping:
            value = getattr(importlib.import_module(mapping[name]), name)
            import sys

            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return names

    return __getattr__, __dir__, names
