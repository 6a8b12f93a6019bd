"""``deferring``: a dependency imported with an optional package's stand-ins behaves as it would
have, and the package is imported when, and only if, what the dependency took from it is used.

Each test builds its own small packages in a temporary directory: ``heavy`` (the optional
package, which counts its imports) and ``dependent`` (the library that imports it "in case").
"""

from __future__ import annotations

import importlib
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from interview_orchestrator._deferred_imports import defer_when_imported, deferring


class Packages:
    def __init__(self, root: Path) -> None:
        self.root = root
        suffix = uuid.uuid4().hex[:8]
        self.heavy = f"heavy_{suffix}"
        self.dependent = f"dependent_{suffix}"
        package = root / self.heavy
        package.mkdir()
        (package / "__init__.py").write_text("IMPORTS = []\nIMPORTS.append('package')\n")
        (package / "things.py").write_text(
            textwrap.dedent(
                f"""
                import {self.heavy}
                {self.heavy}.IMPORTS.append("things")

                class Thing:
                    kind = "thing"

                def make():
                    return Thing()
                """
            )
        )
        (package / "other.py").write_text("VALUE = 42\n")
        (root / f"{self.dependent}.py").write_text(
            textwrap.dedent(
                f"""
                try:
                    from {self.heavy}.things import Thing, make
                except ImportError:
                    Thing = make = None
                try:
                    from {self.heavy} import other
                except ImportError:
                    other = None
                """
            )
        )

    def loaded(self) -> list[str]:
        return sorted(name for name in sys.modules if name.startswith(self.heavy))

    def import_dependent(self) -> ModuleType:
        return importlib.import_module(self.dependent)


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Packages]:
    monkeypatch.syspath_prepend(str(tmp_path))
    built = Packages(tmp_path)
    yield built
    for name in [*built.loaded(), built.dependent]:
        sys.modules.pop(name, None)


def test_the_dependent_imports_without_loading_the_deferred_package(packages: Packages) -> None:
    with deferring(packages.heavy):
        dependent = packages.import_dependent()
    assert packages.loaded() == []
    assert dependent.Thing is not None  # it believes the package is there, as it is
    assert not any(type(module).__name__ == "_StandIn" for module in sys.modules.values())


def test_what_the_dependent_took_loads_the_package_on_first_use(packages: Packages) -> None:
    with deferring(packages.heavy):
        dependent = packages.import_dependent()
    made = dependent.make()
    assert packages.loaded() == [packages.heavy, f"{packages.heavy}.things"]
    real = importlib.import_module(f"{packages.heavy}.things")
    assert type(made) is real.Thing
    assert dependent.Thing.kind == "thing"
    assert sys.modules[packages.heavy].IMPORTS == ["package", "things"]  # each ran once


def test_a_submodule_taken_with_from_import_loads_on_first_use(packages: Packages) -> None:
    with deferring(packages.heavy):
        dependent = packages.import_dependent()
    assert packages.loaded() == []
    assert dependent.other.VALUE == 42
    assert f"{packages.heavy}.other" in packages.loaded()


def test_type_checks_answer_without_loading_the_package(packages: Packages) -> None:
    with deferring(packages.heavy):
        dependent = packages.import_dependent()
    assert not isinstance(object(), dependent.Thing)
    assert not issubclass(int, dependent.Thing)
    assert packages.loaded() == []
    thing = dependent.make()
    assert isinstance(thing, dependent.Thing)
    assert issubclass(type(thing), dependent.Thing)
    assert not isinstance(object(), dependent.Thing)


def test_a_package_already_imported_is_used_as_it_is(packages: Packages) -> None:
    real = importlib.import_module(packages.heavy)
    with deferring(packages.heavy):
        dependent = packages.import_dependent()
    assert isinstance(dependent.Thing, type)
    assert sys.modules[packages.heavy] is real


def test_a_package_that_is_not_installed_stays_missing(packages: Packages) -> None:
    missing = f"not_installed_{uuid.uuid4().hex[:8]}"
    (packages.root / f"{packages.dependent}.py").write_text(
        f"try:\n    from {missing}.part import Thing\nexcept ImportError:\n    Thing = None\n"
    )
    with deferring(missing):
        dependent = packages.import_dependent()
    assert dependent.Thing is None
    assert missing not in sys.modules


def test_another_thread_importing_meanwhile_gets_the_real_package(packages: Packages) -> None:
    seen: list[object] = []

    def other() -> None:
        seen.append(importlib.import_module(f"{packages.heavy}.things").Thing)

    with deferring(packages.heavy):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert isinstance(seen[0], type)
    assert packages.loaded() == [packages.heavy, f"{packages.heavy}.things"]


def test_a_module_waited_for_is_run_deferring_whoever_imports_it_first(
    packages: Packages,
) -> None:
    defer_when_imported(packages.dependent, packages.heavy)
    importer = packages.root / f"importer_{packages.heavy}.py"
    importer.write_text(f"import {packages.dependent}\n")
    try:
        importlib.import_module(importer.stem)
        dependent = sys.modules[packages.dependent]
        assert packages.loaded() == []
        assert dependent.Thing is not None
        assert type(dependent.__loader__).__name__ == "SourceFileLoader"
        assert dependent.__spec__ is not None
        assert dependent.__spec__.loader is dependent.__loader__
        assert dependent.make().__class__.__name__ == "Thing"
    finally:
        sys.modules.pop(importer.stem, None)
