"""Import a library without the optional packages it imports "in case": they load on first use.

Two of the library's dependencies import large optional packages at import time whenever they
are installed, whether or not they are ever used: structlog imports ``rich`` (for a console
renderer's tracebacks, which the library's JSON logs never use) and dependency-injector's
``containers`` imports ``fastapi``, ``starlette`` and ``werkzeug`` (to recognise their objects
when wiring, which the library never does). ``deferring`` imports such a dependency with each of
those packages replaced by stand-ins: what the dependency took from them (``from rich.console
import Console``) is a ``Deferred`` that imports the real module when it is first called or
read, and answers ``isinstance``/``issubclass`` checks without importing anything while the real
module is not loaded (no object can be an instance of a class whose module never ran). The
dependency behaves as it would have; the packages load when, and only if, they are used.

A package is deferred only if it is installed and no part of it is imported yet; the stand-ins
are seen only by the imports made in the ``with`` block, on the thread that runs it, and no
stand-in stays in ``sys.modules``.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec


class Deferred:
    """``module.name`` (an attribute, or a submodule as ``from package import module`` takes
    it), imported when first called or read."""

    __slots__ = ("_module", "_name", "_target")

    def __init__(self, module: str, name: str) -> None:
        self._module = module
        self._name = name
        self._target: Any = None

    def resolve(self) -> Any:
        if self._target is None:
            module = importlib.import_module(self._module)
            try:
                self._target = getattr(module, self._name)
            except AttributeError:
                self._target = importlib.import_module(f"{self._module}.{self._name}")
        return self._target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.resolve(), name)

    def __instancecheck__(self, instance: Any) -> bool:
        if self._target is None and self._module not in sys.modules:
            return False
        return isinstance(instance, self.resolve())

    def __subclasscheck__(self, subclass: Any) -> bool:
        if self._target is None and self._module not in sys.modules:
            return False
        return issubclass(subclass, self.resolve())

    def __repr__(self) -> str:
        return f"<deferred {self._module}.{self._name}>"


class _StandIn(types.ModuleType):
    """A deferred module: each name read from it is a ``Deferred`` of the real module's."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        deferred = Deferred(self.__name__, name)
        setattr(self, name, deferred)
        return deferred


class _StandInFinder:
    """The finder (first on ``sys.meta_path``) and loader of the stand-ins."""

    def __init__(self, packages: frozenset[str]) -> None:
        self._packages = packages
        self._thread = threading.get_ident()
        self.created: list[str] = []

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> ModuleSpec | None:
        if threading.get_ident() != self._thread:
            return None
        if fullname.partition(".")[0] not in self._packages:
            return None
        # A package, so that its submodules are asked of this finder too. This is a loader by
        # protocol (``create_module``, ``exec_module``): ``importlib.abc`` is not imported.
        loader = cast("Loader", self)
        return importlib.machinery.ModuleSpec(fullname, loader, is_package=True)

    def create_module(self, spec: ModuleSpec) -> types.ModuleType:
        self.created.append(spec.name)
        return _StandIn(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        """A stand-in has no code to run."""


def _deferrable(package: str) -> bool:
    if package in sys.modules or any(name.startswith(package + ".") for name in sys.modules):
        return False
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


@contextmanager
def deferring(*packages: str) -> Iterator[None]:
    """Within the block (on this thread), importing any of ``packages`` (top-level names) or
    their submodules gives stand-ins; see the module's documentation."""
    deferred = frozenset(p for p in packages if _deferrable(p))
    if not deferred:
        yield
        return
    finder = _StandInFinder(deferred)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in finder.created:
            sys.modules.pop(name, None)
