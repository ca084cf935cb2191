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
import functools
import importlib
import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from aralrisk import PUBLIC_MODULES
from aralrisk.geo.errors import InputError
from aralrisk.layers.result import BuildResult

OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _documented(module: ModuleType) -> list[tuple[str, Any]]:
    """The functions and classes of ``module.__all__`` (constants carry no docstring).

    Anything callable counts, so a function wrapped by a decorator (``functools.cache``)
    is not skipped as if it were a constant.
    """
    names = getattr(module, "__all__", None)
    if names is None:  # no __all__ yet: every public function and class defined here
        names = [
            n
            for n, obj in vars(module).items()
            if not n.startswith("_") and getattr(obj, "__module__", None) == module.__name__
        ]
    objects = [(n, getattr(module, n)) for n in names]
    return [(n, obj) for n, obj in objects if callable(obj)]


def _lacking(module: ModuleType) -> list[str]:
    """Names of ``module.__all__`` whose own docstring has no ``>>>`` example.

    The object's own ``__doc__``: :func:`inspect.getdoc` would lend a new exception class
    without one its base's example, which the doctest finder does not run for it.
    """
    return [n for n, obj in _documented(module) if ">>>" not in (obj.__doc__ or "")]


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
    assert _documented(module), f"{name} has no public function or class"
    lacking = _lacking(module)
    assert lacking == [], f"{name}: no '>>>' example in the docstring of {lacking}"


def test_a_name_without_an_example_of_its_own_is_caught() -> None:
    """A bare function, a decorated one and an exception that only inherits one fail."""
    module = ModuleType("aralrisk.fake")

    def documented() -> int:
        """One.

        Examples:
            >>> documented()
            1
        """
        return 1

    def bare() -> None:
        """No example."""

    class Raised(InputError):
        pass

    module.__dict__.update(
        __all__=["LIMIT", "Raised", "bare", "cached", "documented"],
        LIMIT=3,  # a constant: no docstring asked of it
        Raised=Raised,
        bare=bare,
        cached=functools.cache(bare),
        documented=documented,
    )
    assert ">>>" in (inspect.getdoc(Raised) or "")  # what a lenient check would accept
    assert _lacking(module) == ["Raised", "bare", "cached"]


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
