"""The interactive interview, driven through a pseudo-terminal like a person at a keyboard."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pexpect

EXE = shutil.which("interview-orchestrator", path=str(Path(sys.executable).parent))
RESUME = Path(__file__).resolve().parents[2] / "examples" / "resume.json"
SESSION_ID = re.compile(r"session ([0-9a-f-]{36})")


def spawn(tmp_path: Path, *args: str) -> pexpect.spawn:
    assert EXE, "the interview-orchestrator console script is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
    env.update({"INTERVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}", "COLUMNS": "120"})
    return pexpect.spawn(
        EXE,
        ["interview", *args],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 120),
    )


def test_an_interview_is_paused_by_ctrl_c_and_continued_in_another_process(tmp_path: Path) -> None:
    first = spawn(tmp_path, "--resume", str(RESUME), "--duration", "30")
    first.expect(SESSION_ID)
    session_id = first.match.group(1)
    first.expect("you> ")
    first.sendline("First I would clarify the requirements and assume a read-heavy load.")
    first.sendline("")
    first.expect("interviewer")
    first.expect("you> ")
    first.sendline("/time")
    first.expect("left of 30 minutes")
    first.expect("you> ")  # Ctrl-C at the prompt, as a person would press it
    first.sendcontrol("c")
    first.expect("Continue with")
    first.expect(pexpect.EOF)
    first.close()
    assert first.exitstatus == 0

    second = spawn(tmp_path, "--continue", session_id)
    second.expect("read-heavy load")  # the transcript so far
    second.expect("you> ")
    second.sendline("I would shard by key, replicate each shard and cache hot keys.")
    second.sendline("")
    second.expect("interviewer")
    second.expect("you> ")
    second.sendline("/end")
    second.expect("Overall")
    second.expect(pexpect.EOF)
    second.close()
    assert second.exitstatus == 0


def test_pause_and_resume_commands_work_and_paused_input_is_refused(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    child.expect("you> ")
    child.sendline("/pause")
    child.expect("paused")
    child.expect("you> ")
    child.sendline("an answer while paused")
    child.expect("/resume first")
    child.sendline("/resume")
    child.expect("resumed")
    child.sendline("/end")
    child.expect("Overall")
    child.expect(pexpect.EOF)


def test_an_unreadable_resume_exits_one_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe not json")
    child = spawn(tmp_path, "--resume", str(tmp_path / "bad.json"))
    child.expect("not UTF-8")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
