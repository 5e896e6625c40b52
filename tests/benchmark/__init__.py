"""Makes this folder a package, so that pytest imports its conftest.py as ``benchmark.conftest``.

As a bare ``conftest`` it would be loaded before tests/conftest.py ("benchmark" sorts first) and
--doctest-modules would then refuse tests/conftest.py for the name clash ("import file mismatch").
"""
