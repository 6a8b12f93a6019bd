"""Fixtures for the offline provider: the real catalog, template, interviewer and evaluator."""

from __future__ import annotations

import pytest

from interview_orchestrator.catalog import YamlTemplateCatalog
from interview_orchestrator.evaluation.rubric_evaluator import RubricEvaluator
from interview_orchestrator.interview_template import InterviewTemplate
from interview_orchestrator.interviewer.offline import OfflineInterviewer

_BUILTIN_CATALOG = YamlTemplateCatalog()


@pytest.fixture
def catalog() -> YamlTemplateCatalog:
    """The built-in templates, parsed once for the whole run (they are immutable)."""
    return _BUILTIN_CATALOG


@pytest.fixture
def template(catalog: YamlTemplateCatalog) -> InterviewTemplate:
    return catalog.get("system_design")


@pytest.fixture
def interviewer(catalog: YamlTemplateCatalog) -> OfflineInterviewer:
    return OfflineInterviewer(catalog)


@pytest.fixture
def evaluator() -> RubricEvaluator:
    return RubricEvaluator()
