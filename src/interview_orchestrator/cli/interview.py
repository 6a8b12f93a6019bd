"""``interview``: a live interview in the terminal, on the same library as every other client."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from .. import render
from ..clock import utc_now
from ..errors import InterviewPlatformError, InvalidInputError, InvalidStateTransitionError
from ..models import MAX_JSON_DEPTH, CommunicationMode, Session, SessionConfig, SessionStatus
from ..ports import TemplateCatalog
from ..session_manager import SessionManager
from .app import app, container_of

HELP = (
    "Type your answer; an empty line sends it (so answers can span lines).\n"
    "Commands: /pause  /resume  /end  /time  /help   (Ctrl-C pauses; nothing is lost)"
)
COMMANDS = frozenset({"/pause", "/resume", "/end", "/time", "/help"})
ReadLine = Callable[[str], str]


class TerminalInterview:
    """The conversation loop: every step goes through ``SessionManager``, so the session can
    be continued later, from any process, with ``--continue``."""

    def __init__(
        self,
        manager: SessionManager,
        templates: TemplateCatalog,
        console: Console,
        read_line: ReadLine = input,
    ) -> None:
        self._manager = manager
        self._templates = templates
        self._console = console
        self._read_line = read_line
        self._pending: list[str] = []

    def run(self, session_id: str) -> Session:
        """Talk until the session ends or the candidate steps away (Ctrl-C or end of input:
        the session is paused and can be continued)."""
        session = self._manager.get_session(session_id)
        try:
            while session.status is not SessionStatus.COMPLETED:
                answer = self._read_answer(session)
                if answer is None:
                    continue
                session = self._handle(session, answer)
        except (KeyboardInterrupt, EOFError):
            return self._step_away(session_id)
        return session

    def _read_answer(self, session: Session) -> str | None:
        """One answer (lines up to an empty one) or one command. A command typed on a
        continuation line sends the answer so far and runs next."""
        if self._pending:
            return self._pending.pop(0)
        paused = session.status is not SessionStatus.ACTIVE
        first = self._read_line("(paused) you> " if paused else "you> ").strip()
        if first.startswith("/") or paused:
            return first or None
        lines = [first]
        while lines[-1]:
            line = self._read_line("...  ").strip()
            if line in COMMANDS:
                self._pending.append(line)
                break
            lines.append(line)
        return "\n".join(lines).strip() or None

    def _handle(self, session: Session, answer: str) -> Session:
        sid = session.id
        try:
            if answer == "/help":
                self._console.print(HELP)
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
                self._console.print(f"[yellow]unknown command {answer}[/]\n{HELP}")
            elif session.status is not SessionStatus.ACTIVE:
                self._console.print("[yellow]the session is paused: /resume first.[/]")
            else:
                reply = self._manager.send_message(sid, answer, CommunicationMode.TEXT)
                self._console.print(f"[bold cyan]interviewer[/] {reply.content}\n")
        except InvalidStateTransitionError as exc:
            self._console.print(f"[yellow]{exc}[/]")
        except InvalidInputError as exc:
            self._console.print(f"[yellow]{exc}[/]")
        except InterviewPlatformError as exc:
            self._console.print(f"[red]{exc}[/]")
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
        self._manager.end_session(session_id)
        self.show_evaluation(session_id)

    def show_evaluation(self, session_id: str) -> None:
        report = self._manager.get_evaluation(session_id)
        if report is None:
            return
        template = self._templates.get(report.template) if report.template else None
        self._console.print(render.evaluation(report, template))

    def _step_away(self, session_id: str) -> Session:
        session = self._manager.get_session(session_id)
        if session.status is SessionStatus.ACTIVE:
            session = self._manager.pause_session(session_id)
        self._console.print(
            f"\n[dim]{session.status.value}: nothing is lost. Continue with\n"
            f"  interview-orchestrator interview --continue {session_id}[/]"
        )
        return session


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
    runner = TerminalInterview(manager, container.templates(), console)
    if continue_id is not None:
        if resume is not None:
            raise typer.BadParameter("--continue resumes a session: it takes no --resume")
        session = manager.get_session(continue_id)
        console.print(render.transcript(manager.get_transcript(session.id)))
        if session.status is SessionStatus.COMPLETED:
            runner.show_evaluation(session.id)
            return
        if session.status is SessionStatus.PAUSED:
            manager.resume_session(session.id)
        elif session.status is SessionStatus.CREATED:
            _start(manager, console, session.id)
    else:
        config = SessionConfig(
            ai_provider=provider,
            template=template,
            duration_minutes=duration,
            resume_data=read_resume(resume) if resume is not None else None,
        )
        session = manager.create_session(config, user_id=user_id)
        console.print(f"[dim]session {session.id}[/]")
        _start(manager, console, session.id)
    console.print(f"[dim]{HELP}[/]\n")
    runner.run(session.id)


def _start(manager: SessionManager, console: Console, session_id: str) -> None:
    manager.start_session(session_id)
    opening = manager.get_transcript(session_id)[-1]
    console.print(f"[bold cyan]interviewer[/] {opening.content}\n")
