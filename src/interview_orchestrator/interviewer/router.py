"""Per-session choice of interviewer, by the provider named in the session's config, with the
session's ``fallback_provider`` taking over when that one fails.

Each provider's private state is kept under its own key of the session's interviewer state
(``{"by_provider": {"openai": {...}, "offline": {...}}, "serving": "openai"}``), so a fallback
mid-interview never hands one interviewer another's state. Once a session has fallen back it
stays on the fallback ("serving"): a provider that is down would otherwise cost every later turn
its full retry budget before the fallback answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from ..errors import InvalidInputError, ProviderError
from ..log_events import LogEvent, Logger
from ..models import SessionConfig
from ..ports import AIInterviewer, InterviewContext, InterviewerReply

BY_PROVIDER: Final = "by_provider"
SERVING: Final = "serving"


class InterviewerRouter:
    """An ``AIInterviewer`` that hands each call to the interviewer of the session's provider
    (see the module docstring)."""

    def __init__(self, interviewers: Mapping[str, AIInterviewer], logger: Logger) -> None:
        self._interviewers = dict(interviewers)
        self._log = logger.bind(component="InterviewerRouter")

    @property
    def providers(self) -> list[str]:
        return sorted(self._interviewers)

    def for_config(self, config: SessionConfig) -> AIInterviewer:
        return self._named(config.ai_provider, "AI provider")

    def check_config(self, config: SessionConfig) -> None:
        """Both the provider and the fallback must be able to run ``config``."""
        self.for_config(config).check_config(config)
        if config.fallback_provider is not None:
            self._named(config.fallback_provider, "fallback provider").check_config(config)

    def initialize(
        self, session_id: str, resume_data: Mapping[str, Any] | None, *, config: SessionConfig
    ) -> Mapping[str, Any]:
        provider = config.ai_provider
        own = self.for_config(config).initialize(session_id, resume_data, config=config)
        return {BY_PROVIDER: {provider: dict(own)}, SERVING: provider}

    def opening_question(self, context: InterviewContext) -> InterviewerReply:
        return self._serve(context, "ask the opening question", lambda i, c: i.opening_question(c))

    def reply(self, context: InterviewContext) -> InterviewerReply:
        return self._serve(context, "reply", lambda i, c: i.reply(c))

    # ------------------------------------------------------------------ internals

    def _serve(
        self,
        context: InterviewContext,
        what: str,
        call: Callable[[AIInterviewer, InterviewContext], InterviewerReply],
    ) -> InterviewerReply:
        config = context.session.config
        states = _states(context.state, config.ai_provider)
        serving = context.state.get(SERVING)
        provider = serving if serving in (config.ai_provider, config.fallback_provider) else None
        provider = provider or config.ai_provider
        try:
            return self._call(provider, states, context, call)
        except ProviderError as exc:
            fallback = config.fallback_provider
            if provider == fallback or fallback is None or fallback not in self._interviewers:
                raise
            self._log.warning(
                LogEvent.INTERVIEWER_FALLBACK,
                session_id=context.session.id,
                metadata={"from": provider, "to": fallback, "call": what, "error": str(exc)},
            )
            if fallback not in states:
                session = context.session
                states[fallback] = dict(
                    self._interviewers[fallback].initialize(
                        session.id, session.config.resume_data, config=session.config
                    )
                )
            return self._call(fallback, states, context, call)

    def _call(
        self,
        provider: str,
        states: dict[str, dict[str, Any]],
        context: InterviewContext,
        call: Callable[[AIInterviewer, InterviewContext], InterviewerReply],
    ) -> InterviewerReply:
        """Run ``call`` on ``provider``'s interviewer with its own state, and put the state it
        returns back under its key (the other providers' states unchanged)."""
        interviewer = self._named(provider, "AI provider")
        own = context.session.with_changes(interviewer_state=states.get(provider, {}))
        reply = call(interviewer, InterviewContext(own, context.recent_messages, context.now))
        merged = {**states, provider: dict(reply.state)}
        return InterviewerReply(
            reply.content, {BY_PROVIDER: merged, SERVING: provider}, reply.notes, reply.phase
        )

    def _named(self, provider: str, what: str) -> AIInterviewer:
        try:
            return self._interviewers[provider]
        except KeyError:
            raise InvalidInputError(
                f"{what} {provider!r} is not configured; "
                f"available: {', '.join(self.providers) or 'none'}"
            ) from None


def _states(state: Mapping[str, Any], primary: str) -> dict[str, dict[str, Any]]:
    """Each provider's own state. A state stored before providers had their own keys is the
    primary provider's."""
    nested = state.get(BY_PROVIDER)
    if isinstance(nested, Mapping):
        return {str(k): dict(v) for k, v in nested.items() if isinstance(v, Mapping)}
    return {primary: dict(state)} if state else {}
