"""The root of the command line: the Typer apps, the shared options and the container.

The root callback keeps the recipe of the container on ``ctx.obj``; the command builds it when it
first asks for it (``container_of``), so a subcommand's ``--help`` builds nothing. Tests pass
their own container with ``CliRunner().invoke(app, [...], obj=container)``; each command
resolves what it needs from it.
Commands live in the sibling modules, grouped as on the command line. The command line prints
its output and at most one error line: the library's JSON log lines only when a level is asked
for (``build_container``).

The command tree is built from these modules alone: the container, the store and what a
command needs are imported when the command runs, so that ``--help`` (and a usage error) is
printed without loading them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperArgument, TyperGroup, TyperOption

from ..errors import InterviewPlatformError, InvalidInputError

if TYPE_CHECKING:
    from ..container import Container

err_console = Console(stderr=True)

#: Where a command's ``--format`` value is kept (on the root context), so that an error is
#: reported in that format.
_FORMAT_KEY: Final = "interview_orchestrator.format"
#: The ``--format`` values whose errors are a JSON object on stderr.
_JSON_FORMATS: Final = frozenset({"json"})


class _PlatformErrorsExitOne(TyperGroup):
    """An ``InterviewPlatformError`` becomes one line on stderr and exit code 1, no traceback
    (with ``--format json``, a JSON object ``{"error": {"type", "message"}}``); so does an
    operating-system error no command can do anything about (a full disk, a file that cannot
    be written). A reader that went away (``| head``) ends the command quietly with exit
    code 1, as other tools do. Options are taken before or after the command
    (``hoist_root_options``), and the help is tidied once (``tidy_command_tree``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tidy_command_tree(self)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_root_options(self, args))

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            result = super().invoke(ctx)
            if sys.stdout is not None:
                sys.stdout.flush()  # a write that fails fails here, not at exit
            return result
        except InterviewPlatformError as exc:
            _fail(str(exc), type(exc).__name__, as_json=_wants_json(ctx))
        except BrokenPipeError:
            _quiet_stdout()
            raise typer.Exit(code=1) from None
        except OSError as exc:
            _fail(_os_error_text(exc), type(exc).__name__, as_json=_wants_json(ctx))


def _wants_json(ctx: Any) -> bool:
    return str(ctx.meta.get(_FORMAT_KEY)) in _JSON_FORMATS


def _fail(message: str, kind: str = "error", *, as_json: bool = False) -> NoReturn:
    if as_json:
        # A script that asked for JSON reads its errors as JSON too.
        error = {"error": {"type": kind, "message": message}}
        typer.echo(json.dumps(error, ensure_ascii=False), err=True)
        raise typer.Exit(code=1) from None
    # Escaped: a message quotes input ("[/bold]" as a session id), which is not markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1) from None


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush has nothing to complain of."""
    with suppress(AttributeError, OSError, ValueError):  # no real stdout (a test runner's)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _os_error_text(exc: OSError) -> str:
    what = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    return f"{what}: {str(exc.filename)!r}" if exc.filename else what


app = typer.Typer(
    cls=_PlatformErrorsExitOne,
    help="Run, inspect and maintain AI-led interview sessions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(
    help="Database migrations (Alembic), run from the installed package.", no_args_is_help=True
)
sessions_app = typer.Typer(
    help="List, inspect, export and maintain sessions.", no_args_is_help=True
)
users_app = typer.Typer(help="A candidate's data: erasure.", no_args_is_help=True)
app.add_typer(sessions_app, name="sessions")
app.add_typer(users_app, name="users")
app.add_typer(db_app, name="db")

# The options do not read the environment themselves (no ``envvar=``): the settings do, below
# the options and above the --config file (settings.ENVIRONMENT_VARIABLES).
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        metavar="URL",
        help="SQLAlchemy URL; beats INTERVIEW_DATABASE_URL and the configuration "
        "(default: a SQLite file).",
    ),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        exists=True,
        dir_okay=False,
        readable=True,
        metavar="PATH",
        help="A YAML file overlaid on the default configuration; the environment and the "
        "options beat it.",
    ),
]


LogLevel = Annotated[
    str | None,
    typer.Option(
        "--log-level",
        metavar="LEVEL",
        help="Print the library's JSON log lines on stderr from this level (DEBUG, INFO, "
        "WARNING, ERROR); beats INTERVIEW_LOG_LEVEL and the configuration. Without any of "
        "them, no log lines: a command prints its output and at most one error line.",
    ),
]

#: The command line's own default, just above the packaged defaults: a --config file,
#: INTERVIEW_LOG_LEVEL and --log-level all beat it. While it is in the file layer and no
#: level was asked for, the commands print no log lines at all (``serve`` takes it out:
#: its request lines are its output).
QUIET_LOGS: dict[str, Any] = {"logging": {"level": "ERROR"}}
#: Commands that run until stopped: their errors go to the log (at ERROR unless a level is
#: asked for), since no one reads their terminal.
_LOGGING_COMMANDS: Final = frozenset({"serve", "worker"})


def build_container(
    database_url: str | None = None,
    config_file: Path | None = None,
    log_level: str | None = None,
    *,
    log_errors: bool = False,
) -> Container:
    """The command line's container: ``--config`` is a configuration file (below the
    environment), ``--database-url`` and ``--log-level`` are explicit arguments (above it).
    A bad value fails here, naming its key.

    No JSON log line is printed unless a level is asked for (``--log-level``,
    ``INTERVIEW_LOG_LEVEL``, a ``logging`` section in the ``--config`` file) or
    ``log_errors`` (a long-running command)."""
    from dependency_injector import providers

    from ..container import Container

    container = Container()
    container.config.file_layers.append(QUIET_LOGS)
    if config_file is not None:
        container.config.from_yaml(config_file, required=True)
    if database_url:
        container.config.database.url.from_value(database_url)
    if log_level:
        container.config.logging.level.from_value(log_level)
    container.settings()
    container.templates()  # a bad template file stops every command, before any work
    container.personas()  # and so does a bad persona file
    if not log_errors:
        container.logger.override(providers.Singleton(_command_line_logger, container))
    return container


def _command_line_logger(container: Container) -> Any:
    """The library's logger as the command line wants it: silent unless a level was asked
    for. Decided when first used, so that a command may still ask (``demo --logs``)."""
    from ..logging import build_logger

    settings = container.settings().logging
    if _log_level_asked(container):
        return build_logger(enabled=settings.enabled, level=settings.level)
    return silent_logger()


def _log_level_asked(container: Container) -> bool:
    config = container.config
    if QUIET_LOGS not in config.file_layers or config.logging.level() is not None:
        return True
    if os.environ.get("INTERVIEW_LOG_LEVEL", "").strip():
        return True
    above = config.file_layers[config.file_layers.index(QUIET_LOGS) + 1 :]
    return any(isinstance(layer, dict) and "logging" in layer for layer in above)


def silent_logger() -> Any:
    """A logger of the library's interface that prints nothing, before any work on a line.
    (A logger without handlers would not do: Python prints its errors on stderr anyway.)"""
    import structlog

    from ..logging import LOGGER_NAME

    def drop_everything(*_: Any) -> Any:
        raise structlog.DropEvent

    return structlog.wrap_logger(
        structlog.stdlib.get_logger(LOGGER_NAME),
        processors=[drop_everything],
        wrapper_class=structlog.stdlib.BoundLogger,
    )


@app.callback()
def root(
    ctx: typer.Context,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    log_level: LogLevel = None,
) -> None:
    """Root options may also be given after the command (``sessions list --database-url
    URL``); given in both places, the one after the command wins."""
    if ctx.obj is None:
        log_errors = ctx.invoked_subcommand in _LOGGING_COMMANDS
        ctx.obj = _ContainerOnDemand(
            lambda: build_container(database_url, config, log_level, log_errors=log_errors)
        )
        ctx.call_on_close(ctx.obj.shutdown_resources)


class _ContainerOnDemand:
    """The command line's container, built (and its configuration checked) when a command
    first asks for it; its resources shut down with the command if it was built."""

    def __init__(self, build: Callable[[], Container]) -> None:
        self._build = build
        self._container: Container | None = None

    def get(self) -> Container:
        if self._container is None:
            self._container = self._build()
        return self._container

    def shutdown_resources(self) -> None:
        if self._container is not None:
            self._container.shutdown_resources()


def container_of(ctx: typer.Context) -> Container:
    obj = ctx.find_root().obj
    container: Container = obj.get() if isinstance(obj, _ContainerOnDemand) else obj
    return container


def container_for_reading(ctx: typer.Context) -> Container:
    """The container of a command that only reads: a SQLite database file that does not
    exist is an error (naming the path looked at) rather than a new empty file."""
    container = container_of(ctx)
    require_database_file(container.settings().database.url)
    return container


def require_database_file(url: str) -> None:
    """``InvalidInputError`` if ``url`` names a SQLite file that does not exist."""
    from ..store.engine import is_memory_sqlite, normalize_url

    parsed = normalize_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or is_memory_sqlite(parsed):
        return
    if database.startswith("file:"):
        return
    path = Path(database).expanduser()
    if not path.exists():
        raise InvalidInputError(
            f"no database at {str(path.absolute())!r}: give --database-url (or set "
            "INTERVIEW_DATABASE_URL) to read another one"
        )


def stdout_console() -> Console:
    """The console of a command's output: a terminal's width; elsewhere ``COLUMNS`` if it
    is set, else 200 columns, so that a table piped to a file stays whole."""
    if sys.stdout.isatty():
        return Console()
    columns = os.environ.get("COLUMNS", "").strip()
    width = int(columns) if columns.isdigit() and int(columns) > 0 else 200
    return Console(width=width)


# --------------------------------------------------------------------------- the command tree

#: The order of the commands in the help, as people use them; the panels group them.
_ORDER: Final = {
    (): (
        "demo",
        "templates",
        "interview",
        "sessions",
        "stats",
        "users",
        "keys",
        "serve",
        "worker",
        "sweep",
        "db",
    ),
    ("sessions",): (
        "list",
        "show",
        "transcript",
        "evaluation",
        "pause",
        "resume",
        "end",
        "retry-evaluation",
        "export",
        "import",
        "purge",
    ),
    ("templates",): ("list", "show"),
    ("keys",): ("list", "create", "revoke"),
    ("db",): ("current", "upgrade", "check", "reencrypt"),
}
_PANELS: Final = {
    (): {
        "demo": "Interviews",
        "templates": "Interviews",
        "interview": "Interviews",
        "sessions": "Interviews",
        "stats": "Interviews",
        "users": "Interviews",
        "keys": "Service",
        "serve": "Service",
        "worker": "Service",
        "sweep": "Maintenance",
        "db": "Maintenance",
    },
    ("sessions",): {
        "list": "Read",
        "show": "Read",
        "transcript": "Read",
        "evaluation": "Read",
        "pause": "Lifecycle",
        "resume": "Lifecycle",
        "end": "Lifecycle",
        "retry-evaluation": "Lifecycle",
        "export": "Archive and retention",
        "import": "Archive and retention",
        "purge": "Archive and retention",
    },
}


class _PlainArgument(TyperArgument):
    """An argument shown by its name alone (``SESSION_ID``), without a ``<str>`` type."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class _PlainOption(TyperOption):
    """An option shown with its metavar (``--user-id USER_ID``), a flag with none."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag:
            return None
        if self.metavar is not None:
            return self.metavar
        described = self.type_descriptor
        if described.is_choice and described.choices:
            return "|".join(str(getattr(c, "value", c)) for c in described.choices)
        return (self.name or "value").upper()


def tidy_command_tree(root: TyperGroup) -> None:
    """The help as people read it: commands in the order they use them, in panels; help
    texts as paragraphs (a docstring's line breaks are not the terminal's); metavars that
    name the value (SESSION_ID, URL, PATH) and none for flags; and each ``--format`` value
    remembered, so that an error is reported in that format."""
    for path, command in _walk(root, ()):
        if command.help:
            command.help = _paragraphs(command.help)
        help_option = command.get_help_option(typer.Context(command))  # built once, kept
        for param in [*command.params, *([help_option] if help_option else [])]:
            if isinstance(param, TyperArgument):
                param.__class__ = _PlainArgument
            elif isinstance(param, TyperOption):
                param.__class__ = _PlainOption
                if "--format" in param.opts:
                    param.callback = _remembering_format(param.callback)
        if isinstance(command, TyperGroup):
            order = _ORDER.get(path, ())
            ranked = sorted(
                command.commands.items(),
                key=lambda item: order.index(item[0]) if item[0] in order else len(order),
            )
            command.commands = dict(ranked)
            for name, panel in _PANELS.get(path, {}).items():
                sub = command.commands.get(name)
                if sub is not None and hasattr(sub, "rich_help_panel"):
                    sub.rich_help_panel = panel


def _walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))


def _paragraphs(text: str) -> str:
    """Each paragraph of ``text`` on one line; the first paragraph is the summary."""
    return "\n\n".join(" ".join(part.split()) for part in text.strip().split("\n\n"))


def _remembering_format(
    callback: Callable[..., Any] | None,
) -> Callable[..., Any]:
    def remember(ctx: Any, param: Any, value: Any) -> Any:
        if callback is not None:
            value = callback(ctx, param, value)
        ctx.find_root().meta[_FORMAT_KEY] = value
        return value

    return remember


def hoist_root_options(root: TyperGroup, args: Sequence[str]) -> list[str]:
    """``args`` with the options put where they belong, wherever they were given: the
    root's options given after a command moved before it (``sessions list --database-url
    URL`` is ``--database-url URL sessions list``), and a command's options given before it
    moved after it (``--tenant acme sessions list``). Given in both places, the value after
    the command wins. Each command's own options keep their values (``--user-id --config``
    is the user ``--config``); nothing after ``--`` moves; an option no one takes is left
    where it is, for the usual "No such option"."""
    root_options = {
        opt: param for param in root.params for opt in param.opts if opt.startswith("--")
    }
    words = list(args)
    front: list[str] = []
    lowered: list[list[str]] = []  # options before the command that the root does not take
    start = 0
    while start < len(words) and words[start].startswith("-") and words[start] != "--":
        word = words[start]
        param = root_options.get(word.split("=", 1)[0])
        taken = 1 if "=" in word or (param is not None and _is_flag(param)) else 2
        if param is None and word.startswith("--") and taken == 2:
            following = words[start + 1] if start + 1 < len(words) else "-"
            taken = 1 if following.startswith("-") or following in root.commands else 2
        (front.extend if param is not None else lowered.append)(words[start : start + taken])
        start += taken
    if start >= len(words) or words[start] == "--":
        return words
    hoisted: list[str] = []
    rest: list[str] = []
    command: Any = root
    path_end = 0
    index = start
    while index < len(words):
        word = words[index]
        if word == "--":
            rest.extend(words[index:])
            break
        name = word.split("=", 1)[0]
        own = _option_named(command, name) if word.startswith("-") else None
        if word.startswith("--") and own is None and name in root_options:
            taken = 1 if "=" in word or _is_flag(root_options[name]) else 2
            hoisted.extend(words[index : index + taken])
            index += taken
            continue
        rest.append(word)
        index += 1
        if own is not None and "=" not in word and not _is_flag(own) and index < len(words):
            rest.append(words[index])  # the option's value, whatever it looks like
            index += 1
        elif isinstance(command, TyperGroup) and word in command.commands:
            command = command.commands[word]
            path_end = len(rest)
    for option in lowered:
        param = _option_named(command, option[0].split("=", 1)[0])
        if param is None or (_is_flag(param) and len(option) > 1):
            return words
    moved = [word for option in lowered for word in option]
    return [*front, *hoisted, *rest[:path_end], *moved, *rest[path_end:]]


def _option_named(command: Any, name: str) -> TyperOption | None:
    for param in command.params:
        if isinstance(param, TyperOption) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def _is_flag(param: Any) -> bool:
    return bool(getattr(param, "is_flag", False) or getattr(param, "count", False))
