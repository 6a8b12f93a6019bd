"""The interactive interview, driven through a pseudo-terminal like a person at a keyboard.

Every wait is on a condition: text seen on the terminal, or the process blocked reading its
terminal (``wait_until_reading``), never on a fixed delay. The database is a SQLite file of the
test's own, or a new migrated PostgreSQL database (with ``TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pexpect
import pytest
from tests.integration.conftest import (  # noqa: F401  (fixtures used below)
    new_postgres_database,
    postgres_server,
)

from interview_orchestrator import Container, Role, SessionManager, SessionStatus

EXE = shutil.which("interview-orchestrator", path=str(Path(sys.executable).parent))
RESUME = Path(__file__).resolve().parents[2] / "examples" / "resume.json"
SESSION_ID = re.compile(r"session ([0-9a-f-]{36})")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
PATIENCE = 120  # seconds: a bound for a machine under load, not an expected duration
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
REPLY = re.compile(r"interviewer(?:\x1b\[[0-9;]*m)* ")  # the label, styled or not
#: The number of read(2), by machine (the process is blocked reading its terminal).
READ_SYSCALL = {"x86_64": 0, "aarch64": 63}.get(platform.machine())


def clean_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
    env["COLUMNS"] = "120"
    return env


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of the test's own: a SQLite file (the command migrates it) or a new
    PostgreSQL database, migrated by the command line."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'live.db'}"
    url: str = request.getfixturevalue("new_postgres_database")()
    assert EXE
    subprocess.run(
        [EXE, "--database-url", url, "db", "upgrade"],
        env=clean_environment(),
        check=True,
        capture_output=True,
        timeout=PATIENCE,
    )
    return url


def spawn(cwd: Path, database: str, *args: str, root: tuple[str, ...] = ()) -> pexpect.spawn:
    assert EXE, "the interview-orchestrator console script is not installed"
    return pexpect.spawn(
        EXE,
        ["--database-url", database, *root, "interview", *args],
        cwd=str(cwd),
        env=clean_environment(),
        encoding="utf-8",
        timeout=PATIENCE,
        dimensions=(40, 120),
    )


def started(cwd: Path, database: str, *args: str) -> tuple[pexpect.spawn, str]:
    """A new interview at its first prompt, and its session id."""
    child = spawn(cwd, database, *args)
    child.expect(SESSION_ID)
    session_id = child.match.group(1)
    child.expect_exact("you> ")
    return child, session_id


def bytes_read(child: pexpect.spawn) -> int:
    """How many bytes the process has read so far (its terminal included)."""
    for line in Path(f"/proc/{child.pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/PID/io")


def wait_until_reading(child: pexpect.spawn, having_read: int = 0) -> None:
    """Until the process is blocked in read(2) on its terminal (fd 0), having read at least
    ``having_read`` bytes in all: a Ctrl-C sent then interrupts that read, instead of arriving
    before the read begins, and what was sent before has been taken in."""
    syscall = Path(f"/proc/{child.pid}/syscall")
    if READ_SYSCALL is None or not syscall.exists():
        if having_read:
            pytest.skip("needs /proc to see what the process has read")
        return
    deadline = time.monotonic() + PATIENCE
    while not (
        syscall.read_text().startswith(f"{READ_SYSCALL} 0x0 ") and bytes_read(child) >= having_read
    ):
        assert child.isalive(), "the interview exited instead of reading its terminal"
        assert time.monotonic() < deadline, "the interview never came to read its terminal"
        time.sleep(0.01)  # polling the condition above


def finished(child: pexpect.spawn) -> int | None:
    """The exit status, once the process has exited (not merely closed its terminal)."""
    child.expect(pexpect.EOF)
    child.wait()
    status = child.exitstatus
    child.close()
    return status


@contextmanager
def manager_on(database: str) -> Iterator[SessionManager]:
    """The library on the interview's database, to read what the command stored."""
    container = Container()
    container.config.database.url.from_value(database)
    container.config.logging.enabled.from_value(False)
    try:
        yield container.session_manager()
    finally:
        container.shutdown_resources()


def candidate_messages(database: str, session_id: str) -> list[str]:
    with manager_on(database) as manager:
        transcript = manager.get_transcript(session_id)
    return [m.content for m in transcript if m.role is Role.CANDIDATE]


def session_status(database: str, session_id: str) -> SessionStatus:
    with manager_on(database) as manager:
        return manager.get_session(session_id).status


def after_reply(child: pexpect.spawn) -> str:
    """What the terminal showed between the last prompt and the interviewer's reply, as a
    person sees it (control sequences removed); the next prompt awaited."""
    child.expect(REPLY)
    shown = ANSI.sub("", child.before)
    child.expect_exact("you> ")
    return shown


# ---------------------------------------------------------------------- sending answers


def test_enter_sends_a_one_line_answer(tmp_path: Path, database: str) -> None:
    child, session_id = started(tmp_path, database)
    child.sendline("  I would clarify the read/write ratio first.  ")
    after_reply(child)
    child.sendcontrol("d")  # end of input: paused
    assert finished(child) == 0
    assert candidate_messages(database, session_id) == [
        "  I would clarify the read/write ratio first.  "
    ]


def test_a_line_ending_in_a_backslash_continues_on_the_next_line(
    tmp_path: Path, database: str
) -> None:
    child, session_id = started(tmp_path, database)
    child.sendline("First, requirements: \\")
    child.expect_exact("...  ")
    child.sendline("then the API.")
    after_reply(child)
    child.sendcontrol("d")
    assert finished(child) == 0
    assert candidate_messages(database, session_id) == ["First, requirements: \nthen the API."]


def test_a_triple_quote_block_is_one_answer_kept_as_typed(tmp_path: Path, database: str) -> None:
    child, session_id = started(tmp_path, database)
    child.sendline('"""')
    for line in ["def shorten(url): \\", "", "    /end is text here"]:
        child.expect_exact("...  ")
        child.sendline(line)
    child.expect_exact("...  ")
    child.sendline('"""')
    after_reply(child)
    child.sendcontrol("d")
    assert finished(child) == 0
    assert candidate_messages(database, session_id) == [
        "def shorten(url): \\\n\n    /end is text here"
    ]


def test_a_paste_of_several_lines_arrives_whole_as_one_answer(
    tmp_path: Path, database: str
) -> None:
    child, session_id = started(tmp_path, database)
    wait_until_reading(child)
    child.send("Components:\n- a write API \\\n\n/end is pasted text\n")  # one write, as a paste
    shown = after_reply(child)
    child.sendcontrol("d")
    assert finished(child) == 0
    assert candidate_messages(database, session_id) == [
        "Components:\n- a write API \\\n\n/end is pasted text"
    ]
    assert "..." not in shown  # no continuation prompt between pasted lines


def test_a_paste_without_its_last_line_break_is_sent_whole_by_enter(
    tmp_path: Path, database: str
) -> None:
    child, session_id = started(tmp_path, database)
    wait_until_reading(child)
    paste = "Line one\nLine two\nLine three, copied without its line break"
    before = bytes_read(child)
    child.send(paste)
    wait_until_reading(child, having_read=before + len(paste.encode()))  # all taken in
    child.send("\r")  # Enter
    after_reply(child)
    child.sendcontrol("d")
    assert finished(child) == 0
    assert candidate_messages(database, session_id) == [paste]


# ---------------------------------------------------------------------- while the AI works


def test_a_thinking_indicator_shows_while_the_interviewer_works(
    tmp_path: Path, database: str
) -> None:
    child, _ = started(tmp_path, database)
    child.sendline("I would start with the data model.")
    child.expect_exact("thinking…")
    child.expect(REPLY)
    child.expect_exact("you> ")
    child.sendcontrol("d")
    assert finished(child) == 0


def test_the_reply_starts_its_own_line_after_typed_ahead_lines(
    tmp_path: Path, database: str
) -> None:
    child, _ = started(tmp_path, database)
    wait_until_reading(child)
    child.send("An answer typed ahead\n\n")
    shown = after_reply(child)
    last_line = re.split(r"[\r\n]", shown)[-1]
    assert last_line.strip() == "", repr(shown[-200:])  # "...  interviewer" before
    child.sendcontrol("d")
    assert finished(child) == 0


def test_piped_answers_are_one_a_line_without_a_thinking_indicator(
    tmp_path: Path, database: str
) -> None:
    assert EXE
    typed = "First answer.\n\nSecond answer, \\\ncontinued.\n/time\n"
    result = subprocess.run(
        [EXE, "--database-url", database, "interview", "--user-id", "piped"],
        input=typed,
        cwd=tmp_path,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    session_id = SESSION_ID.search(result.stdout)
    assert session_id, result.stdout[-2000:]
    assert candidate_messages(database, session_id.group(1)) == [
        "First answer.",
        "Second answer, \ncontinued.",
    ]
    assert "thinking…" not in result.stdout
    assert "left of 45 minutes" in result.stdout
    replies = [line for line in result.stdout.splitlines() if line.startswith("interviewer ")]
    assert len(replies) == 3, result.stdout[-2000:]  # the opening question and two replies
    assert not re.search(r"(you> |\.\.\.  )interviewer", result.stdout), result.stdout[-2000:]


# ---------------------------------------------------------------------- stepping away


def continue_line(child: pexpect.spawn) -> str:
    """The command printed after Ctrl-C to continue, as one terminal line."""
    child.expect(r"Continue with:?(?:\x1b\[[0-9;]*m)*\r\n([^\r\n]*)\r\n")
    return ANSI.sub("", child.match.group(1)).strip()


def test_an_interview_is_paused_by_ctrl_c_and_continued_in_another_process(
    tmp_path: Path, database: str
) -> None:
    first, session_id = started(tmp_path, database, "--resume", str(RESUME), "--duration", "30")
    first.sendline("First I would clarify the requirements and assume a read-heavy load.")
    after_reply(first)
    first.sendline("/time")
    first.expect_exact("left of 30 minutes")
    first.expect_exact("you> ")
    wait_until_reading(first)  # Ctrl-C at the prompt, as a person would press it
    first.sendcontrol("c")
    continue_line(first)
    assert finished(first) == 0

    second = spawn(tmp_path, database, "--continue", session_id)
    second.expect_exact("read-heavy load")  # the transcript so far
    second.expect_exact("you> ")
    second.sendline("I would shard by key, replicate each shard and cache hot keys.")
    after_reply(second)
    second.sendline("/end")
    second.expect_exact("Overall")
    assert finished(second) == 0


def test_the_continue_hint_is_one_line_with_the_root_options_and_resumes_when_pasted(
    tmp_path: Path, database: str
) -> None:
    here = tmp_path / "a-directory-with-a-name-long-enough-to-need-more-than-one-terminal-line"
    here.mkdir()
    (here / "settings.yaml").write_text("interviewer:\n  max_turns: 150\n", encoding="utf-8")
    root = ("--config", "settings.yaml", "--log-level", "ERROR")
    child = spawn(here, database, root=root)
    child.expect(SESSION_ID)
    session_id = child.match.group(1)
    child.expect_exact("you> ")
    wait_until_reading(child)
    child.sendcontrol("c")
    hint = continue_line(child)
    assert finished(child) == 0
    assert len(hint) > 120  # longer than the terminal is wide, and still one line
    config = str((here / "settings.yaml").resolve())
    assert shlex.split(hint) == [
        "interview-orchestrator",
        "--database-url",
        database,
        "--config",
        config,
        "--log-level",
        "ERROR",
        "interview",
        "--continue",
        session_id,
    ]

    pasted = run_pasted(hint, cwd=tmp_path)  # elsewhere, with no INTERVIEW_* variable
    pasted.expect_exact("you> ")
    pasted.sendline("/end")
    pasted.expect_exact("Overall")
    assert finished(pasted) == 0
    assert session_status(database, session_id) is SessionStatus.COMPLETED  # the same session


def run_pasted(command: str, cwd: Path) -> pexpect.spawn:
    program, *args = shlex.split(command)
    assert program == "interview-orchestrator"
    assert EXE
    return pexpect.spawn(
        EXE,
        args,
        cwd=str(cwd),
        env=clean_environment(),
        encoding="utf-8",
        timeout=PATIENCE,
        dimensions=(40, 120),
    )


def test_an_unreadable_resume_exits_one_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe not json")
    child = spawn(
        tmp_path, f"sqlite:///{tmp_path / 'live.db'}", "--resume", str(tmp_path / "bad.json")
    )
    child.expect_exact("not UTF-8")
    assert finished(child) == 1


def test_pause_and_resume_commands_work_and_paused_input_is_refused(
    tmp_path: Path, database: str
) -> None:
    child, _ = started(tmp_path, database)
    child.sendline("/pause")
    child.expect_exact("paused")
    child.expect_exact("(paused) you> ")
    child.sendline("an answer while paused")
    child.expect_exact("/resume first")
    child.sendline("/resume")
    child.expect_exact("resumed")
    child.sendline("/end")
    child.expect_exact("Overall")
    assert finished(child) == 0
