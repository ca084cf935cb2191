"""Every public function and class has an example, and every example runs (issue 15).

The public API is :data:`aralrisk.PUBLIC_MODULES`; each module names its functions and
classes in ``__all__``. A name there without a ``>>>`` example in its docstring fails
the first test, so a new public function cannot arrive without one. The second runs
each module's examples as doctests (whitespace normalised, ``...`` as a wildcard),
once each: a name a module re-exports runs where it is defined when that module is
public too. Examples that need a build get ``result``, the tiny world's build
(tests/world.py) already made for the whole session, published under ``build_root``;
``world_dir`` holds its inputs and ``tmp`` is a scratch folder.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from aralrisk import PUBLIC_MODULES
from aralrisk.layers.result import BuildResult

OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _documented(module: ModuleType) -> list[tuple[str, Any]]:
    """The functions and classes of ``module.__all__`` (constants carry no docstring)."""
    names = getattr(module, "__all__", None)
    if names is None:  # no __all__ yet: every public function and class defined here
        names = [
            n
            for n, obj in vars(module).items()
            if not n.startswith("_") and getattr(obj, "__module__", None) == module.__name__
        ]
    objects = [(n, getattr(module, n)) for n in names]
    return [(n, obj) for n, obj in objects if inspect.isfunction(obj) or inspect.isclass(obj)]


def _home_is_public(obj: Any, module: ModuleType) -> bool:
    """Whether ``obj`` is checked elsewhere: defined in another public module."""
    home = getattr(obj, "__module__", module.__name__)
    return home != module.__name__ and home in PUBLIC_MODULES


@pytest.fixture(scope="module")
def doctest_globals(
    built: BuildResult,
    build_root: Path,
    world_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    return {
        "result": built,
        "build_root": build_root,
        "world_dir": world_dir,
        "tmp": tmp_path_factory.mktemp("doctests"),
    }


def test_the_public_modules_declare_their_api() -> None:
    missing = [m for m in PUBLIC_MODULES if not hasattr(importlib.import_module(m), "__all__")]
    assert missing == [], f"public modules without __all__: {missing}"


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_function_and_class_has_an_example(name: str) -> None:
    module = importlib.import_module(name)
    documented = _documented(module)
    assert documented, f"{name} has no public function or class"
    lacking = [n for n, obj in documented if ">>>" not in (inspect.getdoc(obj) or "")]
    assert lacking == [], f"{name}: no '>>>' example in the docstring of {lacking}"


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_the_examples_of_every_public_module_pass(
    name: str, doctest_globals: dict[str, Any]
) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    tests = finder.find(module, extraglobs=doctest_globals)
    for short, obj in _documented(module):
        if obj.__module__ != name and not _home_is_public(obj, module):
            # Re-exported from a private module (geo.io's readers and writers): run here.
            home = importlib.import_module(obj.__module__)
            globs = {**vars(home), **doctest_globals}
            tests += finder.find(obj, f"{name}.{short}", module=home, globs=globs)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    for test in sorted(tests, key=lambda t: t.name):
        runner.run(test, out=report.append)
    assert runner.tries > 0, f"{name} has no examples"
    assert runner.failures == 0, "".join(report)
