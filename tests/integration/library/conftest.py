"""The library's platform features: ``container`` and ``manager`` come from
``tests/integration/conftest.py``; a hooked interviewer here."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.integration.conftest import HookedInterviewer

from interview_orchestrator import Container


@pytest.fixture
def gated(
    container: Container, hook_interviewer: Callable[[Container], HookedInterviewer]
) -> HookedInterviewer:
    """The container's offline interviewer, hooked (``before_reply``): ask for it before
    ``manager``, which takes the interviewer the container has when it is built."""
    return hook_interviewer(container)
