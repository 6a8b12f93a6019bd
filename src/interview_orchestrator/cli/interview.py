"""``interview``: a live interview in the terminal, on the same library as every other client.

Enter sends an answer, as in any chat. A line ending in ``\\`` continues on the next line, and a
line that is exactly ``\"\"\"`` opens a block closed by another such line, for answers that span
lines. On a terminal, lines that are already waiting when a line ends (a paste) join the same
answer as they are; a paste without its last line break waits for Enter. Piped input is read
one answer per line, with the same two conventions.
"""

from __future__ import annotations

import json
import os
import select
import shlex
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TextIO

import typer
from rich.console import Console
from rich.text import Text

from .. import render
from ..clock import utc_now
from ..errors import InterviewPlatformError, InvalidInputError, InvalidStateTransitionError
from ..models import MAX_JSON_DEPTH, CommunicationMode, Session, SessionConfig, SessionStatus
from .app import app, container_of
from .sessions import session_id_from

if TYPE_CHECKING:
    from ..ports import TemplateCatalog
    from ..session_manager import SessionManager

PROGRAM = "interview-orchestrator"
PROMPT = "you> "
PAUSED_PROMPT = "(paused) you> "
CONTINUATION_PROMPT = "...  "
BLOCK_FENCE = '"""'
CONTINUES = "\\"
HELP = (
    "Enter sends your answer. A line ending in \\ goes on to the next line, and a\n"
    'line """ opens a block that another """ closes. A paste arrives whole.\n'
    "Commands: /pause  /resume  /end  /time  /help   (Ctrl-C pauses; nothing is lost)"
)


class LineInput(Protocol):
    """Where the answers' lines come from."""

    def read_line(self, prompt: str) -> str:
        """The next line without its line break; ``EOFError`` at the end of input."""
        ...

    def more_waiting(self) -> bool:
        """Whether another line has already arrived (the rest of a paste)."""
        ...


class StdinLines:
    """Lines from standard input. On a terminal the kernel hands over one line per read, so
    the rest of a paste stays waiting where ``select`` sees it; a last pasted line without its
    line break is taken from the terminal at once (``_take_unfinished_line``), and completed
    by the next read, so that Enter sends it with the rest. Elsewhere (piped input) nothing
    counts as a paste, and a line break follows each prompt once its line is read, so that
    what comes next starts its own line."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self._stdin = stdin or sys.stdin
        self._stdout = stdout or sys.stdout
        self._terminal = _is_terminal(self._stdin)
        self._echoed = self._terminal and _is_terminal(self._stdout)
        self._taken = ""  # text taken from the terminal ahead of its line break

    def read_line(self, prompt: str) -> str:
        if self._taken:
            head, newline, rest = self._taken.partition("\n")
            self._taken = rest
            return head if newline else head + self._read(prompt)
        line = self._read(prompt)
        if prompt and not self._echoed:
            self._stdout.write("\n")
            self._stdout.flush()
        return line

    def _read(self, prompt: str) -> str:
        if self._stdin is sys.stdin and self._stdout is sys.stdout:
            return input(prompt)  # the terminal's own line editing
        self._stdout.write(prompt)
        self._stdout.flush()
        raw = self._stdin.readline()
        if not raw:
            raise EOFError
        return raw.removesuffix("\n")

    def more_waiting(self) -> bool:
        if not self._terminal:
            return False
        if self._taken:
            return True
        try:
            ready, _, _ = select.select([self._stdin.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        if not ready:
            self._taken = self._take_unfinished_line()
        return bool(ready) or bool(self._taken)

    def _take_unfinished_line(self) -> str:
        """What the terminal holds of a line not yet ended (the tail of a paste copied without
        its last line break), read by leaving canonical mode for an instant; ``""`` if
        nothing."""
        try:
            import termios  # POSIX terminals only
        except ImportError:
            return ""
        try:
            fd = self._stdin.fileno()
            saved = termios.tcgetattr(fd)
        except (OSError, ValueError, termios.error):
            return ""
        at_once = list(saved)
        at_once[3] = saved[3] & ~termios.ICANON
        at_once[6] = list(saved[6])
        at_once[6][termios.VMIN] = 0
        at_once[6][termios.VTIME] = 0
        try:
            termios.tcsetattr(fd, termios.TCSANOW, at_once)
            try:
                data = os.read(fd, 1 << 16)
            finally:
                termios.tcsetattr(fd, termios.TCSANOW, saved)
        except (OSError, termios.error):
            return ""
        encoding = getattr(self._stdin, "encoding", None) or "utf-8"
        return data.decode(encoding, errors="replace")


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def read_answer(lines: LineInput, prompt: str) -> str | None:
    """One answer, or one command (a typed first line starting with ``/``); ``None`` for a
    blank one. Typed lines follow the conventions (``\\`` at the end continues, ``\"\"\"``
    opens and closes a block); pasted lines are taken as they are, never as commands or
    markers. Only the markers are removed: the text is sent exactly as written."""
    parts: list[str] = []
    in_block = False
    pasted = False
    while True:
        line = lines.read_line("" if pasted else prompt)
        pasted = pasted or lines.more_waiting()
        if pasted:
            parts.append(line)
            if lines.more_waiting():
                continue
            pasted = False
            if not in_block:
                break
        elif not parts and not in_block and line.strip().startswith("/"):
            return line.strip()
        elif in_block:
            if line == BLOCK_FENCE:
                break
            parts.append(line)
        elif line == BLOCK_FENCE:
            in_block = True
        elif line.endswith(CONTINUES):
            parts.append(line.removesuffix(CONTINUES))
        else:
            parts.append(line)
            break
        prompt = CONTINUATION_PROMPT
    answer = "\n".join(parts)
    return answer if answer.strip() else None


class TerminalInterview:
    """The conversation loop: every step goes through ``SessionManager``, so the session can
    be continued later, from any process, with ``--continue``."""

    def __init__(
        self,
        manager: SessionManager,
        templates: TemplateCatalog,
        console: Console,
        lines: LineInput | None = None,
        root_args: Sequence[str] = (),
    ) -> None:
        self._manager = manager
        self._templates = templates
        self._console = console
        self._lines = lines or StdinLines()
        self._root_args = list(root_args)

    def run(self, session_id: str) -> Session:
        """Talk until the session ends or the candidate steps away (Ctrl-C or end of input:
        the session is paused and can be continued)."""
        session = self._manager.get_session(session_id)
        try:
            while session.status is not SessionStatus.COMPLETED:
                paused = session.status is not SessionStatus.ACTIVE
                answer = read_answer(self._lines, PAUSED_PROMPT if paused else PROMPT)
                if answer is not None:
                    session = self._handle(session, answer)
        except (KeyboardInterrupt, EOFError):
            return self._step_away(session_id)
        return session

    def start(self, session_id: str) -> None:
        """Start the session and show the interviewer's opening question."""
        with self._working("preparing the first question…"):
            self._manager.start_session(session_id)
        opening = self._manager.get_transcript(session_id)[-1]
        self._say(opening.content)

    @contextmanager
    def _working(self, what: str) -> Iterator[None]:
        """A spinner while the AI works, on a terminal only (it vanishes when done)."""
        if not self._console.is_terminal:
            yield
            return
        with self._console.status(Text(what, style="dim")):
            yield

    def _say(self, content: str) -> None:
        """The interviewer's words, on a line of their own."""
        text = Text.assemble(("interviewer", "bold cyan"), " ", content)
        self._console.print(text)
        self._console.print()

    def _handle(self, session: Session, answer: str) -> Session:
        sid = session.id
        try:
            if answer == "/help":
                self._console.print(HELP, markup=False, soft_wrap=True)
            elif answer == "/time":
                self._show_time(self._manager.get_session(sid))
            elif answer == "/pause":
                self._manager.pause_session(sid)
                self._console.print("[dim]paused: the clock is stopped. /resume to go on.[/]")
            elif answer == "/resume":
                self._manager.resume_session(sid)
                self._console.print("[dim]resumed.[/]")
            elif answer == "/end":
                self._finish(sid)
            elif answer.startswith("/"):
                self._console.print(Text(f"unknown command {answer}", style="yellow"))
                self._console.print(HELP, markup=False, soft_wrap=True)
            elif session.status is not SessionStatus.ACTIVE:
                self._console.print("[yellow]the session is paused: /resume first.[/]")
            else:
                with self._working("thinking…"):
                    reply = self._manager.send_message(sid, answer, CommunicationMode.TEXT)
                self._say(reply.content)
        except InvalidStateTransitionError as exc:
            self._console.print(Text(str(exc), style="yellow"))
        except InvalidInputError as exc:
            self._console.print(Text(str(exc), style="yellow"))
        except InterviewPlatformError as exc:
            self._console.print(Text(str(exc), style="red"))
        session = self._manager.get_session(sid)
        if session.status is SessionStatus.COMPLETED and answer != "/end":
            self.show_evaluation(sid)  # ended by the server: time limit reached
        return session

    def _show_time(self, session: Session) -> None:
        remaining = max(session.remaining_seconds_at(utc_now()), 0)
        self._console.print(
            f"[dim]{render.duration_text(remaining)} left of "
            f"{session.config.duration_minutes} minutes ({session.status.value}).[/]"
        )

    def _finish(self, session_id: str) -> None:
        with self._working("evaluating the interview…"):
            self._manager.end_session(session_id)
        self.show_evaluation(session_id)

    def show_evaluation(self, session_id: str) -> None:
        report = self._manager.get_evaluation(session_id)
        if report is None:
            return
        template = self._templates.get(report.template) if report.template else None
        self._console.print(render.evaluation(report, template))

    def continue_command(self, session_id: str) -> str:
        """The command that picks this session up, on the same database and configuration."""
        return shlex.join([PROGRAM, *self._root_args, "interview", "--continue", session_id])

    def _step_away(self, session_id: str) -> Session:
        session = self._manager.get_session(session_id)
        if session.status is SessionStatus.ACTIVE:
            session = self._manager.pause_session(session_id)
        self._console.print()
        self._console.print(
            Text(f"{session.status.value}: nothing is lost. Continue with:", style="dim")
        )
        # One line, never wrapped, so that it can be copied and pasted whole.
        self._console.print(
            self.continue_command(session_id), markup=False, highlight=False, soft_wrap=True
        )
        return session


def root_arguments(ctx: typer.Context) -> list[str]:
    """The root options given on this command line (``--database-url``, ``--config``, ...),
    as arguments that give them again; a file's path made absolute."""
    root = ctx.find_root()
    arguments: list[str] = []
    for parameter in root.command.params:
        name = parameter.name
        if parameter.param_type_name != "option" or name is None:
            continue
        source = root.get_parameter_source(name)
        if source is None or source.name != "COMMANDLINE":
            continue
        value = root.params.get(name)
        if value is None or value is False:
            continue
        flag = max(parameter.opts, key=len)
        if value is True:
            arguments.append(flag)
            continue
        if isinstance(value, Path):
            with suppress(OSError):
                value = value.resolve()
        arguments += [flag, str(value)]
    return arguments


def read_resume(path: Path) -> dict[str, Any]:
    """A résumé JSON object from ``path``, or ``InvalidInputError`` saying what is wrong."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise InvalidInputError(f"cannot read résumé file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInputError(f"résumé file {path} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"résumé file {path} is not valid JSON: {exc.msg} (line {exc.lineno})"
        ) from None
    except RecursionError:  # the parser's own limit, far beyond the documented one
        raise InvalidInputError(
            f"résumé file {path} is nested too deeply (at most {MAX_JSON_DEPTH} levels)"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"résumé file {path} must hold a JSON object")
    return data


@app.command()
def interview(
    ctx: typer.Context,
    resume: Annotated[
        Path | None, typer.Option("--resume", dir_okay=False, help="The candidate's résumé (JSON).")
    ] = None,
    template: Annotated[str, typer.Option(help="Interview template.")] = "system_design",
    provider: Annotated[str, typer.Option(help="AI provider: offline or openai.")] = "offline",
    duration: Annotated[int, typer.Option(min=1, max=480, help="Minutes.")] = 45,
    user_id: Annotated[str | None, typer.Option("--user-id")] = None,
    continue_id: Annotated[
        str | None,
        typer.Option("--continue", help="Pick up this session where it was left."),
    ] = None,
) -> None:
    """An interactive interview in the terminal. Ctrl-C pauses it; --continue picks it up."""
    container = container_of(ctx)
    manager: SessionManager = container.session_manager()
    console = Console(highlight=False)
    runner = TerminalInterview(
        manager, container.templates(), console, root_args=root_arguments(ctx)
    )
    if continue_id is not None:
        if resume is not None:
            raise typer.BadParameter("--continue resumes a session: it takes no --resume")
        continue_id = session_id_from(continue_id, container.data_store().session_ids_starting)
        session = manager.get_session(continue_id)
        console.print(render.transcript(manager.get_transcript(session.id)))
        if session.status is SessionStatus.COMPLETED:
            runner.show_evaluation(session.id)
            return
        if session.status is SessionStatus.PAUSED:
            manager.resume_session(session.id)
        elif session.status is SessionStatus.CREATED:
            runner.start(session.id)
    else:
        config = SessionConfig(
            ai_provider=provider,
            template=template,
            duration_minutes=duration,
            resume_data=read_resume(resume) if resume is not None else None,
        )
        session = manager.create_session(config, user_id=user_id)
        console.print(f"[dim]session {session.id}[/]")
        runner.start(session.id)
    console.print(HELP, style="dim", markup=False, soft_wrap=True)
    console.print()
    runner.run(session.id)
