"""Per-session choice of interviewer, by the provider named in the session's config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InvalidInputError
from ..models import SessionConfig
from ..ports import AIInterviewer, InterviewContext, InterviewerReply


class InterviewerRouter:
    """An ``AIInterviewer`` that hands each call to the interviewer of the session's provider."""

    def __init__(self, interviewers: Mapping[str, AIInterviewer]) -> None:
        self._interviewers = dict(interviewers)

    @property
    def providers(self) -> list[str]:
        return sorted(self._interviewers)

    def for_config(self, config: SessionConfig) -> AIInterviewer:
        try:
            return self._interviewers[config.ai_provider]
        except KeyError:
            raise InvalidInputError(
                f"AI provider {config.ai_provider!r} is not configured; "
                f"available: {', '.join(self.providers) or 'none'}"
            ) from None

    def check_config(self, config: SessionConfig) -> None:
        self.for_config(config).check_config(config)

    def initialize(
        self, session_id: str, resume_data: Mapping[str, Any] | None, *, config: SessionConfig
    ) -> Mapping[str, Any]:
        return self.for_config(config).initialize(session_id, resume_data, config=config)

    def opening_question(self, context: InterviewContext) -> InterviewerReply:
        return self.for_config(context.session.config).opening_question(context)

    def reply(self, context: InterviewContext) -> InterviewerReply:
        return self.for_config(context.session.config).reply(context)
