"""The composition root: the only place that knows which adapter serves which port.

config (YAML + env) ─▶ settings ─▶ engine ─▶ data_store ─┐
                                  templates ─▶ interviewers ─▶ ai_interviewer ─┤
                                  evaluators ─▶ evaluation_manager ─────────┤─▶ session_manager
                     engine ─▶ communication_manager ─────────────────────┘   (and worker)
OPENAI_API_KEY (env) ─▶ openai_client ─▶ chat_model ─▶ the openai interviewer and evaluator

The data store tells the communication manager of every commit that wrote events; on
PostgreSQL the communication manager also listens for other processes' commits.

A process loads what it uses: the PostgreSQL listener, the webhooks' HTTP client (``httpx``),
the field cipher (``cryptography``), the OpenAI client (``openai``) and Alembic (only when the
database is behind the packaged migrations) are imported when they are first built or run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dependency_injector import providers

from ._deferred_imports import deferring
from .access_manager import AccessManager, RateLimit
from .catalog import YamlTemplateCatalog
from .catalog.personas import YamlPersonaCatalog
from .clock import utc_now
from .communication import InProcessCommunicationManager
from .evaluation.llm_evaluator import LLMEvaluator
from .evaluation.rubric_evaluator import RubricEvaluator
from .evaluation.service import EvaluationService
from .interviewer.llm_interviewer import LLMInterviewer
from .interviewer.offline import OfflineInterviewer
from .interviewer.router import InterviewerRouter
from .lifecycle import TimePolicy
from .llm.openai_chat import API_KEY_VARIABLE, OpenAIChatModel, build_openai_client
from .log_events import Logger
from .logging import build_logger
from .session_manager import SessionManager
from .settings import (
    DEFAULT_CONFIG_FILE,
    DatabaseSettings,
    LayeredConfiguration,
    LifecycleSettings,
    Settings,
    current_settings,
    merge_layers,
)
from .store.access import AccessRepository
from .store.archive import SqlAlchemyArchive
from .store.encryption import ENV_VAR as ENCRYPTION_KEYS_VAR
from .store.encryption import FieldCipher
from .store.engine import create_engine_for
from .store.limits import RateLimitRepository
from .store.migrate import upgrade
from .store.sqlalchemy_store import SqlAlchemyDataStore
from .store.transactions import Transactions
from .store.webhooks import WebhookRepository
from .sweeper import Sweeper
from .webhooks import WebhookDispatcher, WebhookService
from .worker import EvaluationWorker

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from .ports import WebhookSender

# dependency-injector's containers module imports FastAPI, Starlette and Werkzeug, if installed,
# to recognise their objects when wiring (which this container does not do): they load only if
# such an object is ever checked (see ``_deferred_imports``).
with deferring("fastapi", "starlette", "werkzeug", "fast_depends"):
    from dependency_injector import containers


@contextmanager
def open_engine(database: DatabaseSettings, cipher: FieldCipher | None = None) -> Iterator[Engine]:
    """The engine for the configured database, migrated if the settings say so, encrypting
    résumés and message texts if keys are set; disposed on ``shutdown_resources()``."""
    engine = create_engine_for(
        database.url,
        echo=database.echo,
        sqlite_synchronous=database.sqlite_synchronous,
        cipher=cipher,
    )
    try:
        is_sqlite = engine.dialect.name == "sqlite"
        if database.auto_migrate == "always" or (database.auto_migrate == "sqlite" and is_sqlite):
            upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def _field_cipher_from_environment() -> FieldCipher | None:
    """A cipher (and ``cryptography``) only if keys are set."""
    return FieldCipher.from_setting(os.environ.get(ENCRYPTION_KEYS_VAR))


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def _hours(value: float) -> timedelta:
    return timedelta(hours=value)


@contextmanager
def open_communication(engine: Engine, logger: Logger) -> Iterator[InProcessCommunicationManager]:
    """In-process wake-ups, plus ``LISTEN`` on PostgreSQL so that every process hears every
    commit; its threads stop on ``shutdown_resources()``."""
    manager: InProcessCommunicationManager
    if engine.dialect.name == "postgresql":
        from .communication.postgres import PostgresCommunicationManager

        manager = PostgresCommunicationManager(engine, logger=logger)
    else:
        manager = InProcessCommunicationManager(logger=logger)
    try:
        yield manager
    finally:
        manager.close()


@contextmanager
def open_webhook_sender(timeout: float) -> Iterator[WebhookSender]:
    """The HTTP sender of webhook deliveries (``httpx`` is imported here: only a process that
    delivers webhooks loads it); its connections close on ``shutdown_resources()``."""
    from .delivery import open_http_webhook_sender

    with open_http_webhook_sender(timeout=timeout) as sender:
        yield sender


def _rate_limit(per_minute: int) -> RateLimit:
    return RateLimit(requests=per_minute, window=timedelta(minutes=1))


def _time_policy(lifecycle: LifecycleSettings) -> TimePolicy:
    return TimePolicy(
        idle_timeout=timedelta(minutes=lifecycle.idle_timeout_minutes),
        abandon_after=timedelta(hours=lifecycle.abandon_after_hours),
    )


class Container(containers.DeclarativeContainer):
    """``Container().session_manager()`` is a ready manager on the configured database."""

    #: Files read with ``config.from_yaml`` sit below the environment; values written in code
    #: (``config.….from_value``, ``from_dict``, ``override``) are explicit arguments, above it.
    config = LayeredConfiguration(yaml_files=[DEFAULT_CONFIG_FILE])
    #: Validated from every layer whenever a provider is built: a later write is seen.
    settings = providers.Callable(current_settings, config.provider)

    # --- core
    logger = providers.Singleton(
        build_logger,
        enabled=settings.provided.logging.enabled,
        level=settings.provided.logging.level,
    )
    clock = providers.Object(utc_now)
    time_policy = providers.Singleton(_time_policy, settings.provided.lifecycle)
    #: Keys only from the environment, never from a file.
    field_cipher = providers.Singleton(_field_cipher_from_environment)
    engine = providers.Resource(open_engine, settings.provided.database, field_cipher)

    # --- gateways
    communication_manager = providers.Resource(open_communication, engine, logger)
    data_store = providers.Singleton(
        SqlAlchemyDataStore, engine=engine, on_events=communication_manager.provided.notify
    )
    session_archive = providers.Singleton(SqlAlchemyArchive, engine=engine)
    transactions = providers.Singleton(Transactions, engine)
    access_store = providers.Singleton(AccessRepository, transactions)
    rate_limit_store = providers.Singleton(RateLimitRepository, transactions)
    templates = providers.Singleton(
        YamlTemplateCatalog, directories=settings.provided.interviewer.template_dirs
    )
    #: Every persona file is read and checked when the interviewers are built (start-up).
    personas = providers.Singleton(
        YamlPersonaCatalog, directories=settings.provided.personas.directories
    )

    # --- the OpenAI-compatible chat model: the key only from the environment; the client is
    # built on first use, so a container without a key builds and a session naming "openai"
    # is refused at create_session (check_config) instead of failing mid-interview.
    openai_api_key = providers.Callable(os.environ.get, API_KEY_VARIABLE)
    openai_client = providers.Singleton(
        build_openai_client, settings=settings.provided.openai, api_key=openai_api_key
    )
    chat_model = providers.Singleton(
        OpenAIChatModel, client=openai_client.provider, settings=settings.provided.openai
    )

    # --- AI providers, chosen per session by SessionConfig.ai_provider
    interviewers = providers.Dict(
        offline=providers.Singleton(OfflineInterviewer, catalog=templates, personas=personas),
        openai=providers.Singleton(
            LLMInterviewer,
            chat_model=chat_model,
            catalog=templates,
            settings=settings.provided.openai,
            provider="openai",
            context_messages=settings.provided.interviewer.context_messages,
            personas=personas,
        ),
    )
    evaluators = providers.Dict(
        offline=providers.Singleton(RubricEvaluator),
        openai=providers.Singleton(
            LLMEvaluator, chat_model=chat_model, settings=settings.provided.openai
        ),
    )
    ai_interviewer = providers.Singleton(InterviewerRouter, interviewers, logger=logger)

    # --- services
    evaluation_manager = providers.Singleton(
        EvaluationService,
        data_store=data_store,
        evaluators=evaluators,
        templates=templates,
        clock=clock,
        lease=providers.Callable(_seconds, settings.provided.evaluation.lease_seconds),
        logger=logger,
    )
    session_manager = providers.Factory(
        SessionManager,
        data_store=data_store,
        ai_interviewer=ai_interviewer,
        evaluation_manager=evaluation_manager,
        communication_manager=communication_manager,
        logger=logger,
        clock=clock,
        context_messages=settings.provided.interviewer.context_messages,
        time_policy=time_policy,
        turn_timeout=providers.Callable(
            _seconds, settings.provided.interviewer.turn_timeout_seconds
        ),
        evaluate=settings.provided.evaluation.mode,
        max_turns=settings.provided.interviewer.max_turns,
    )
    sweeper = providers.Factory(
        Sweeper,
        data_store=data_store,
        session_manager=session_manager,
        time_policy=time_policy,
        pending_grace=providers.Callable(
            _seconds, settings.provided.lifecycle.pending_grace_seconds
        ),
        batch_size=settings.provided.lifecycle.sweep_batch_size,
        clock=clock,
        logger=logger,
    )
    access_manager = providers.Singleton(
        AccessManager,
        store=access_store,
        limits=rate_limit_store,
        rate_limit=providers.Callable(
            _rate_limit, settings.provided.service.ai_requests_per_minute
        ),
        clock=clock,
        logger=logger,
    )
    worker = providers.Factory(
        EvaluationWorker,
        data_store=data_store,
        evaluation_service=evaluation_manager,
        communication_manager=communication_manager,
        poll_interval=settings.provided.worker.poll_interval_seconds,
        clock=clock,
        logger=logger,
    )

    # --- webhooks: registered by the service, delivered from the event log by the dispatcher
    # (a thread of `serve` with background work, and of `worker`)
    webhook_store = providers.Singleton(WebhookRepository, transactions)
    webhook_service = providers.Factory(
        WebhookService, store=webhook_store, clock=clock, logger=logger
    )
    webhook_sender = providers.Resource(
        open_webhook_sender, timeout=settings.provided.webhooks.timeout_seconds
    )
    webhook_dispatcher = providers.Factory(
        WebhookDispatcher,
        store=webhook_store,
        sender=webhook_sender,
        communication_manager=communication_manager,
        clock=clock,
        poll_interval=settings.provided.webhooks.poll_interval_seconds,
        senders=settings.provided.webhooks.senders,
        per_endpoint=settings.provided.webhooks.per_endpoint,
        lease=providers.Callable(_seconds, settings.provided.webhooks.lease_seconds),
        retry_for=providers.Callable(_hours, settings.provided.webhooks.retry_hours),
        batch_size=settings.provided.webhooks.batch_size,
        logger=logger,
    )

    @classmethod
    def from_settings(
        cls,
        settings: Settings | Mapping[str, Any] | None = None,
        /,
        *,
        config_files: Iterable[Path | str] = (),
        database_url: str | None = None,
        **sections: Mapping[str, Any],
    ) -> Container:
        """A container configured in code, with no dependency-injector to learn.

        ``config_files`` are read in order, above the packaged defaults and below the
        environment. Explicit arguments win over both, later ones over earlier: ``settings``
        (the fields set on a ``Settings``, or a mapping of sections), the sections given by
        name (``openai={"model": "gpt-4o-mini"}``), then ``database_url`` (short for
        ``database={"url": ...}``). A bad value fails here with ``InvalidInputError`` naming
        its key, and so does a bad template or persona file (naming the file and the field).
        """
        container = cls()
        for path in config_files:
            container.config.from_yaml(path, required=True)
        given = (
            settings.model_dump(exclude_unset=True)
            if isinstance(settings, Settings)
            else settings or {}
        )
        url = {} if database_url is None else {"database": {"url": database_url}}
        explicit = merge_layers(given, sections, url)
        if explicit:
            container.config.from_dict(explicit)
        container.settings()
        container.templates()  # every template file validated now, not mid-interview
        container.personas()  # and every persona file
        return container
