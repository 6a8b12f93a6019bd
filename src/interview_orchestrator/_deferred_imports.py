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
stand-in stays in ``sys.modules``. ``defer_when_imported`` does the same for a dependency that
is imported later, by whichever module imports it first.

One finder does this, put first on ``sys.meta_path`` once and never taken off (other threads
may be walking that list): outside a ``deferring`` block and past the first import of the
modules it waits for, it answers every question with None.
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


class _Finder:
    """The finder of the stand-ins (for the thread in a ``deferring`` block) and of the modules
    ``defer_when_imported`` waits for; the loader of the stand-ins."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._waiting: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def deferred(self) -> frozenset[str]:
        packages: frozenset[str] = getattr(self._local, "packages", frozenset())
        return packages

    @contextmanager
    def standing_in(self, packages: frozenset[str]) -> Iterator[None]:
        outer = self.deferred(), getattr(self._local, "created", None)
        created: list[str] = []
        self._local.packages, self._local.created = outer[0] | packages, created
        try:
            yield
        finally:
            self._local.packages, self._local.created = outer
            for name in created:
                sys.modules.pop(name, None)

    def wait_for(self, module: str, packages: tuple[str, ...]) -> None:
        with self._lock:
            self._waiting[module] = packages

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] in self.deferred():
            # A package, so that its submodules are asked of this finder too. This is a loader
            # by protocol (``create_module``, ``exec_module``): ``importlib.abc`` is not imported.
            return importlib.machinery.ModuleSpec(fullname, cast("Loader", self), is_package=True)
        if self._waiting:
            with self._lock:
                packages = self._waiting.pop(fullname, None)
            if packages is not None:
                return self._deferring_spec(fullname, path, target, packages)
        return None

    def _deferring_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None,
        packages: tuple[str, ...],
    ) -> ModuleSpec | None:
        """The spec the other finders give, its loader run within ``deferring(*packages)``."""
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec: ModuleSpec | None = find(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = cast("Loader", _DeferringLoader(spec.loader, packages))
                return spec
        return None

    def create_module(self, spec: ModuleSpec) -> types.ModuleType:
        self._local.created.append(spec.name)
        return _StandIn(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        """A stand-in has no code to run."""


class _DeferringLoader:
    """A module's own loader, run within ``deferring``; the module keeps the real loader."""

    def __init__(self, loader: Loader, packages: tuple[str, ...]) -> None:
        self._loader = loader
        self._packages = packages

    def create_module(self, spec: ModuleSpec) -> types.ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        try:
            with deferring(*self._packages):
                self._loader.exec_module(module)
        finally:
            module.__loader__ = self._loader
            if module.__spec__ is not None:
                module.__spec__.loader = self._loader


_FINDER = _Finder()
_INSTALLING = threading.Lock()


def _installed() -> _Finder:
    with _INSTALLING:
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)
    return _FINDER


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
    with _installed().standing_in(deferred):
        yield


def defer_when_imported(module: str, *packages: str) -> None:
    """From now on, the first import of ``module`` (a top-level name, by any importer) runs it
    ``deferring(*packages)``; nothing is done if it is imported already."""
    if module not in sys.modules:
        _installed().wait_for(module, packages)
