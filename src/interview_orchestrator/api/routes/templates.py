"""The catalog: the kinds of interview a platform can offer, with their languages, phases and
rubrics, and the interviewer personas, so that whoever creates a session can choose its
``template``, ``language`` and ``persona``. Any API key may read it; a session's link may not
(it has its session)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Final

from fastapi import APIRouter, Path, Query, Request

from ...errors import ResourceNotFoundError
from ...personas import PersonaCatalog
from ...ports import TemplateCatalog
from ..deps import container_of, run_sync
from ..permissions import Authorized
from ..schemas import PersonaList, PersonaOut, TemplateList, TemplateOut, TemplateSummaryOut

router = APIRouter(tags=["catalog"])

#: A name longer than any template's is quoted cut short in the error.
_QUOTED_CHARS: Final = 64


class UnknownTemplateError(ResourceNotFoundError):
    """No template has the name; the message names those that exist."""

    def __init__(self, name: str, available: Sequence[str]) -> None:
        super().__init__("interview template", name[:_QUOTED_CHARS])
        self.args = (
            f"interview template {name[:_QUOTED_CHARS]!r} does not exist; available "
            f"templates: {', '.join(available) or 'none'}",
        )


def _catalog(request: Request) -> TemplateCatalog:
    catalog: TemplateCatalog = container_of(request).templates()
    return catalog


@router.get(
    "/templates",
    response_model=TemplateList,
    summary="The interview templates on offer, with their languages and weighted dimensions",
)
async def list_templates(request: Request, principal: Authorized) -> TemplateList:
    catalog = _catalog(request)

    def summaries() -> list[TemplateSummaryOut]:
        return [
            TemplateSummaryOut.from_template(catalog.get(name), catalog.languages(name))
            for name in catalog.names()
        ]

    return TemplateList(items=await run_sync(request, summaries))


@router.get(
    "/templates/{name}",
    response_model=TemplateOut,
    summary="One template in one language: its phases and its rubric",
    description="404 if no template has the name (the detail names those that exist); 422 "
    "if the template has no version in `language` (the detail names the ones it has).",
)
async def get_template(
    request: Request,
    principal: Authorized,
    name: Annotated[str, Path(description="The template's name, as listed.")],
    language: Annotated[
        str, Query(max_length=35, description="A BCP 47 tag, e.g. `de` (default `en`).")
    ] = "en",
) -> TemplateOut:
    catalog = _catalog(request)

    def detail() -> TemplateOut:
        available = catalog.names()
        if name not in available:
            raise UnknownTemplateError(name, available)
        return TemplateOut.from_template(catalog.get(name, language), catalog.languages(name))

    return await run_sync(request, detail)


@router.get(
    "/personas",
    response_model=PersonaList,
    summary="The interviewer personas on offer: the interviewer's manner, never the scores",
)
async def list_personas(request: Request, principal: Authorized) -> PersonaList:
    container = container_of(request)

    def personas() -> list[PersonaOut]:
        catalog: PersonaCatalog = container.personas()  # read from its files when first built
        return [PersonaOut.from_persona(catalog.get(name)) for name in catalog.names()]

    return PersonaList(items=await run_sync(request, personas))
