"""``upgrade`` to head reads the database's revision with one query and leaves a database that
is already there alone, without Alembic; anything else is Alembic's to decide, as before."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from interview_orchestrator.errors import DataStoreError
from interview_orchestrator.store import create_engine_for, current, head_revision, upgrade
from interview_orchestrator.store.migrate import MIGRATIONS_DIR, downgrade, head_of, packaged_head


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    assert packaged_head() == head_revision()
    assert head_of(MIGRATIONS_DIR / "versions") == head_revision()


def script(revision: str, down: str | None) -> str:
    parent = "None" if down is None else repr(down)
    return textwrap.dedent(
        f'''
        """A migration.

        Revision ID: {revision}
        Revises: {down}
        """
        from collections.abc import Sequence

        revision: str = {revision!r}
        down_revision: str | Sequence[str] | None = {parent}
        '''
    )


def test_the_head_of_one_line_of_scripts(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(script("0001", None))
    (tmp_path / "b.py").write_text(script("0002", "0001"))
    (tmp_path / "c.py").write_text(script("0003", "0002"))
    assert head_of(tmp_path) == "0003"


@pytest.mark.parametrize(
    "scripts",
    [
        {
            "a.py": script("0001", None),
            "b.py": script("0002", "0001"),
            "c.py": script("0003", "0001"),
        },
        {
            "a.py": script("0001", None),
            "b.py": script("0002", "0001"),
            "m.py": 'revision = "0003"\ndown_revision = ("0001", "0002")\n',
        },
        {"a.py": script("0001", None), "b.py": "# no revision here\n"},
        {"a.py": script("0001", None), "b.py": script("0001", None)},
        {},
    ],
    ids=["two heads", "a merge", "no revision line", "a revision twice", "no scripts"],
)
def test_scripts_only_alembic_can_read_have_no_head_here(
    tmp_path: Path, scripts: dict[str, str]
) -> None:
    for name, body in scripts.items():
        (tmp_path / name).write_text(body)
    assert head_of(tmp_path) is None


def test_upgrade_from_behind_head_still_migrates(blank_database_url: str) -> None:
    engine = create_engine_for(blank_database_url)
    try:
        upgrade(engine)
        downgrade(engine, "0004")
        assert current(engine) == "0004"
        upgrade(engine)
        assert current(engine) == head_revision()
    finally:
        engine.dispose()


def _set_revision(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})


def test_a_database_at_a_revision_this_version_does_not_know_is_refused(
    blank_database_url: str,
) -> None:
    engine = create_engine_for(blank_database_url)
    try:
        upgrade(engine)
        _set_revision(engine, "9999")
        with pytest.raises(DataStoreError, match="9999"):
            upgrade(engine)
    finally:
        engine.dispose()


def test_upgrade_of_a_database_at_head_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'at-head.db'}"
    engine = create_engine_for(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    code = textwrap.dedent(
        f"""
        import sys
        from interview_orchestrator.store import create_engine_for, upgrade

        engine = create_engine_for({url!r})
        upgrade(engine)
        engine.dispose()
        assert "alembic" not in sys.modules, "alembic was imported"
        print("clean")
        """
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEW_")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "clean"
