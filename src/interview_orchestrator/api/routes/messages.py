"""Messages: a turn (the candidate's message and the interviewer's reply), the transcript, and
asking again for a reply the AI provider failed to give."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, status

from ...errors import InvalidInputError
from ...models import MAX_PAGE_SIZE, parse_mode
from ...serialization import MessageOut, TurnOut
from ..deps import count_ai_request, manager_for, run_sync, session_of
from ..permissions import Authorized
from ..schemas import MessagePage, SendMessageIn

router = APIRouter(tags=["messages"])

#: Requests that spend AI on a reply share one limit: a retry costs what a send costs.
AI_REQUEST_KIND = "message"

MessageKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Stands for `client_message_id` (if both are given they must agree): "
        "sending again with the same key returns the same turn.",
    ),
]


def client_message_id_for(body_id: str | None, idempotency_key: str | None) -> str | None:
    """The message's idempotency key: the body's ``client_message_id`` or the header."""
    if body_id is not None and idempotency_key is not None and body_id != idempotency_key:
        raise InvalidInputError(
            "Idempotency-Key and client_message_id name different messages; send one of them"
        )
    return body_id if body_id is not None else idempotency_key


@router.post(
    "/sessions/{session_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=TurnOut,
    summary="Send the candidate's message; answers with it and the interviewer's reply",
    description="One turn at a time: while a reply is being generated another send is 409. "
    "If the AI provider fails (502), the body says whether the candidate's message was kept "
    "(`message_kept`, `candidate_message_seq`); then retry the reply, or send again with the "
    "same `client_message_id`. When the session's turn budget (`max_turns`) is spent, the "
    "session ends by itself after this reply (`end_reason` `turn_limit`).",
)
async def send_message(
    request: Request,
    session_id: str,
    body: SendMessageIn,
    principal: Authorized,
    idempotency_key: MessageKey = None,
) -> TurnOut:
    sid = session_of(principal, session_id)
    message_id = client_message_id_for(body.client_message_id, idempotency_key)
    mode = parse_mode(body.mode)
    await count_ai_request(request, principal, AI_REQUEST_KIND)
    manager = manager_for(request, principal)
    turn = await run_sync(
        request,
        lambda: manager.send_turn(sid, body.content, mode, client_message_id=message_id),
    )
    return TurnOut.from_domain(turn)


@router.get(
    "/sessions/{session_id}/messages",
    response_model=MessagePage,
    summary="The transcript in order; with `after`, only what follows that message",
)
async def read_messages(
    request: Request,
    session_id: str,
    principal: Authorized,
    after: Annotated[
        int | None,
        Query(ge=0, description="The `seq` of the last message already read (0: all)."),
    ] = None,
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_PAGE_SIZE, description="At most this many (default: all)."),
    ] = None,
) -> MessagePage:
    sid = session_of(principal, session_id)
    manager = manager_for(request, principal)
    messages = await run_sync(
        request, lambda: manager.get_transcript(sid, after_seq=after, limit=limit)
    )
    return MessagePage(items=[MessageOut.from_domain(m) for m in messages])


@router.post(
    "/sessions/{session_id}/messages/retry",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
    summary="Ask the interviewer again for the reply it failed to give (after a 502)",
    description="For the candidate's last message when it has no reply (the AI provider "
    "failed on it); answers with the reply, whose `reply_to` is that message's `seq`. "
    "Refused (409) when the last message already has its reply, while a turn is in "
    "progress, or unless the session is active. Counts against the same AI limit as sends.",
)
async def retry_reply(request: Request, session_id: str, principal: Authorized) -> MessageOut:
    sid = session_of(principal, session_id)
    await count_ai_request(request, principal, AI_REQUEST_KIND)
    manager = manager_for(request, principal)
    return MessageOut.from_domain(await run_sync(request, manager.retry_reply, sid))
