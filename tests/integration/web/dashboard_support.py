"""A visitor of the dashboard: a client with its own cookies, that reads the form token of
the pages it gets and posts forms with it, as a browser does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import httpx
from fastapi.testclient import TestClient

_FORM_TOKEN: Final = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(page: httpx.Response) -> str:
    """The CSRF token the forms of ``page`` carry."""
    found = _FORM_TOKEN.search(page.text)
    assert found is not None, f"no form token in {page.request.url}"
    return found.group(1)


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """``Set-Cookie`` headers of ``response`` by cookie name."""
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


@dataclass
class Visitor:
    client: TestClient
    #: The form token of the last page read (what its forms would post).
    token: str = ""

    def get(self, path: str) -> httpx.Response:
        answer = self.client.get(path)
        if answer.status_code < 300 and 'name="csrf_token"' in answer.text:
            self.token = form_token(answer)
        return answer

    def post(self, path: str, token: str | None = None, **fields: str) -> httpx.Response:
        """Post a form as the last page's form would (``token`` overrides its token)."""
        data = {"csrf_token": self.token if token is None else token, **fields}
        return self.client.post(path, data=data)

    def sign_in(self, key: str) -> httpx.Response:
        self.get("/sign-in")
        answer = self.post("/sign-in", key=key)
        if answer.status_code == 303:
            self.get("/")
        return answer

    @property
    def cookies(self) -> httpx.Cookies:
        return self.client.cookies
