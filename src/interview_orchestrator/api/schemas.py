"""Request bodies and the response shapes that are the service's own; the domain objects'
shapes are the library's public serialisers (``interview_orchestrator.serialization``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..access import MAX_LINK_MINUTES, MIN_LINK_MINUTES, LinkKind
from ..interview_template import InterviewTemplate
from ..personas import Persona
from ..serialization import EvaluationReportOut, MessageOut, SessionOut, UtcDatetime


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateSessionIn(_Body):
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="The session's configuration (`SessionConfig` fields: enabled_modes, "
        "ai_provider, ai_model, resume_data, duration_minutes, template, language, metadata, "
        "fallback_provider, max_turns, persona).",
    )
    user_id: str | None = Field(default=None, description="The candidate's id in your system.")
    session_id: str | None = Field(
        default=None, description="A UUID: makes the call idempotent (as `Idempotency-Key`)."
    )


class SessionPage(BaseModel):
    items: list[SessionOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class SendMessageIn(_Body):
    content: str = Field(description="The candidate's message (or whiteboard export, as JSON).")
    mode: str = Field(default="text", description="text, whiteboard or audio.")
    client_message_id: str | None = Field(
        default=None,
        description="Your id for this message: sending it again returns the same turn.",
    )


class MessagePage(BaseModel):
    items: list[MessageOut]


class EndOut(BaseModel):
    session: SessionOut
    evaluation: EvaluationReportOut | None = Field(
        description="The evaluation (PENDING: generated in the background); null for a "
        "candidate's link, which never sees its evaluation."
    )


class RetryEvaluationIn(_Body):
    force: bool = Field(default=False, description="Regenerate a finished evaluation too.")


class CreateLinkIn(_Body):
    kind: LinkKind = Field(
        description="`candidate` (may conduct the interview) or `review` (read-only)."
    )
    expires_in_minutes: int = Field(
        default=60 * 24 * 7,
        ge=MIN_LINK_MINUTES,
        le=MAX_LINK_MINUTES,
        description="1 to 129,600 (90 days).",
    )


class LinkOut(BaseModel):
    id: str = Field(description="The link's id (to revoke it with `DELETE /links/{id}`).")
    kind: LinkKind = Field(description="`candidate` or `review`.")
    session_id: str = Field(description="The one session the link may address.")
    token: str = Field(description="Shown once: only its hash is stored.")
    url: str = Field(
        description="The page for the link's holder: `/i/<token>` (candidate) or "
        "`/r/<token>` (review), on `service.public_url` or the address the request came to."
    )
    expires_at: UtcDatetime = Field(description="When the link stops working (UTC).")


class Problem(BaseModel):
    """An error (RFC 9457 problem details), served as `application/problem+json`."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="The kind of problem, in words.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong and what to do, for a person.")
    session_id: str | None = Field(default=None, description="The session concerned.")
    current_status: str | None = Field(
        default=None, description="The session's status, when a transition was refused."
    )
    operation: str | None = Field(default=None, description="The refused operation.")
    awaiting_seq: int | None = Field(
        default=None, description="The message still awaiting its reply (turn in progress)."
    )
    retry_after: int | None = Field(default=None, description="Seconds to wait (429).")
    retryable: bool | None = Field(
        default=None, description="Whether the same request may succeed later (502)."
    )
    message_kept: bool | None = Field(
        default=None, description="Whether the candidate's message was stored (502)."
    )
    candidate_message_seq: int | None = Field(
        default=None, description="The stored candidate message without a reply (502)."
    )
    errors: list[dict[str, str]] | None = Field(
        default=None, description="Each invalid field and why (422)."
    )


class Health(BaseModel):
    status: str
    detail: str | None = None


# --------------------------------------------------------------------------- template catalog


class TemplatePhaseSummaryOut(BaseModel):
    id: str
    title: str
    share: float = Field(description="The share of the interview's time (all add up to 1).")


class TemplateDimensionSummaryOut(BaseModel):
    id: str
    title: str
    weight: float = Field(description="The dimension's weight in the overall score (sum 1).")


class TemplateSummaryOut(BaseModel):
    """A template on offer: a session names it in its configuration (`template`)."""

    name: str = Field(description="What a session's `template` is set to.")
    title: str
    version: str
    languages: list[str] = Field(
        description="The languages it has a version in (BCP 47 tags; a session's `language`)."
    )
    rubric_version: str
    phases: list[TemplatePhaseSummaryOut]
    dimensions: list[TemplateDimensionSummaryOut]

    @classmethod
    def from_template(
        cls, template: InterviewTemplate, languages: Sequence[str]
    ) -> TemplateSummaryOut:
        return cls(
            name=template.name,
            title=template.title,
            version=template.version,
            languages=list(languages),
            rubric_version=template.rubric.version,
            phases=[
                TemplatePhaseSummaryOut(id=p.id, title=p.title, share=p.share)
                for p in template.phases
            ],
            dimensions=[
                TemplateDimensionSummaryOut(id=d.id, title=d.title, weight=d.weight)
                for d in template.rubric.dimensions
            ],
        )


class TemplateList(BaseModel):
    items: list[TemplateSummaryOut] = Field(description="Every template, by name.")


class TemplatePhaseOut(TemplatePhaseSummaryOut):
    max_turns: int = Field(description="At most this many main questions in the phase.")
    question_count: int = Field(description="How many questions the phase draws from.")


class TemplateDimensionOut(TemplateDimensionSummaryOut):
    levels: dict[str, str] = Field(
        description='What a score of 1 to 5 looks like, by score ("1" to "5").'
    )


class TemplateOut(BaseModel):
    """A template in one language: its phases and its rubric (the questions are counted,
    not quoted)."""

    name: str
    title: str
    version: str
    language: str = Field(description="The language of this version (BCP 47).")
    languages: list[str] = Field(description="Every language the template has a version in.")
    rubric_version: str
    phases: list[TemplatePhaseOut]
    dimensions: list[TemplateDimensionOut]

    @classmethod
    def from_template(cls, template: InterviewTemplate, languages: Sequence[str]) -> TemplateOut:
        return cls(
            name=template.name,
            title=template.title,
            version=template.version,
            language=template.language,
            languages=list(languages),
            rubric_version=template.rubric.version,
            phases=[
                TemplatePhaseOut(
                    id=p.id,
                    title=p.title,
                    share=p.share,
                    max_turns=p.max_turns,
                    question_count=len(p.questions),
                )
                for p in template.phases
            ],
            dimensions=[
                TemplateDimensionOut(
                    id=d.id,
                    title=d.title,
                    weight=d.weight,
                    levels={str(level): words for level, words in sorted(d.levels.items())},
                )
                for d in template.rubric.dimensions
            ],
        )


class PersonaOut(BaseModel):
    """An interviewer persona on offer: a session names it in its configuration (`persona`).
    It sets the interviewer's manner, never the rubric or the scores."""

    name: str = Field(description="What a session's `persona` is set to.")
    title: str
    description: str = Field(description="The interviewer's manner, in a sentence.")
    follow_up_depth: int = Field(
        description="How many follow-ups per question the offline interviewer may ask (0-3)."
    )

    @classmethod
    def from_persona(cls, persona: Persona) -> PersonaOut:
        return cls(
            name=persona.name,
            title=persona.title,
            description=persona.description,
            follow_up_depth=persona.follow_up_depth,
        )


class PersonaList(BaseModel):
    items: list[PersonaOut] = Field(description="Every persona, by name.")
