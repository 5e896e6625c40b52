"""Makes this folder a package, so that pytest imports its conftest.py as ``adversarial.conftest``.

As a bare ``conftest`` it would be loaded before tests/conftest.py ("adversarial" sorts first) and
--doctest-modules would then refuse tests/conftest.py for the name clash ("import file mismatch").
"""
