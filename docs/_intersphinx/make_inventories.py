"""Write the small intersphinx inventories shipped in this folder (the docs build is offline).

Each inventory lists the public objects of an installed package with the address of its page
on the project's site, in Sphinx's ``objects.inv`` format, so that ``:class:`sklearn.pipeline.
Pipeline``` links to scikit-learn's page without the build fetching anything. Rerun after
upgrading a package (``python docs/_intersphinx/make_inventories.py``) and commit the files.
"""

from __future__ import annotations

import importlib
import inspect
import re
import zlib
from pathlib import Path

HERE = Path(__file__).parent

#: name -> (site, distribution, package, public modules (None: every public submodule),
#: address of an object on the site)
PROJECTS = {
    "sklearn": ("https://scikit-learn.org/stable/", "scikit-learn", "sklearn", None,
                lambda name, mod: f"modules/generated/{name}.html#{name}"),
    "nilearn": ("https://nilearn.github.io/stable/", "nilearn", "nilearn", None,
                lambda name, mod: f"modules/generated/{name}.html#{name}"),
    "skorch": ("https://skorch.readthedocs.io/en/stable/", "skorch", "skorch",
               ["skorch.net", "skorch.classifier", "skorch.regressor", "skorch.helper",
                "skorch.dataset", "skorch.callbacks", "skorch.scoring", "skorch.utils"],
               lambda name, mod: f"{mod.split('.')[1]}.html#{name}"),
    "torch": ("https://docs.pytorch.org/docs/stable/", "torch", "torch",
              ["torch.nn.modules=torch.nn", "torch.optim", "torch.optim.lr_scheduler",
               "torch.utils.data"],
              lambda name, mod: (f"data.html#{name}" if mod == "torch.utils.data"
                                 else f"generated/{name}.html#{name}")),
    "captum": ("https://captum.ai/api/", "captum", "captum", ["captum.attr"],
               lambda name, mod: re.sub(r"(?<!^)(?=[A-Z])", "_",
                                        name.rsplit(".", 1)[1]).lower() + f".html#{name}"),
}

#: Objects outside the modules walked above.
EXTRA = {
    "torch": [("torch.Tensor", "class", "tensors.html#torch.Tensor"),
              ("torch.device", "class", "tensor_attributes.html#torch.device"),
              ("torch.dtype", "class", "tensor_attributes.html#torch.dtype"),
              ("torch.nn.Module", "class", "generated/torch.nn.Module.html#torch.nn.Module")],
    "skorch": [(f"skorch.{n}", "class", f"{m}.html#skorch.{m}.{n}") for n, m in (
        ("NeuralNet", "net"), ("NeuralNetClassifier", "classifier"),
        ("NeuralNetBinaryClassifier", "classifier"), ("NeuralNetRegressor", "regressor"))]
    + [(f"skorch.helper.{n}", "class", f"helper.html#skorch.helper.{n}")
       for n in ("SliceDict", "SliceDataset", "DataFrameTransformer")],
}


def _public_modules(package):
    """The package's public submodules (no leading underscore, no tests), imported."""
    import pkgutil

    root = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(root.__path__, prefix=package + "."):
        parts = info.name.split(".")
        if any(p.startswith("_") or p in ("tests", "testing", "externals") for p in parts):
            continue
        names.append(info.name)
    return names


def _entries(modules, address):
    seen = {}
    for spec in modules:
        # "where=public": read where's __all__, name the objects as the public module does
        where, _, module_name = spec.partition("=")
        module_name = module_name or where
        try:
            module = importlib.import_module(where)
        except Exception:  # optional dependencies of a submodule: skip it
            continue
        public = getattr(module, "__all__", None)
        if public is None:
            continue
        for attr in public:
            obj = getattr(module, attr, None)
            if obj is None:
                continue
            role = ("class" if inspect.isclass(obj) else "function" if callable(obj)
                    else None)
            if role is None:
                continue
            name = f"{module_name}.{attr}"
            seen.setdefault(name, (role, address(name, module_name)))
    return seen


def write_inventory(path, project, version, entries):
    header = (f"# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
              "# The remainder of this file is compressed using zlib.\n").encode()
    body = "".join(f"{name} py:{role} 1 {uri} -\n"
                   for name, (role, uri) in sorted(entries.items())).encode()
    Path(path).write_bytes(header + zlib.compress(body, 9))


def main():
    from importlib import metadata

    for key, (_, dist, package, modules, address) in PROJECTS.items():
        entries = _entries(modules or _public_modules(package), address)
        for name, role, uri in EXTRA.get(key, []):
            entries[name] = (role, uri)
        write_inventory(HERE / f"{key}-objects.inv", dist, metadata.version(dist), entries)
        print(f"{key}: {len(entries)} objects")


if __name__ == "__main__":
    main()
