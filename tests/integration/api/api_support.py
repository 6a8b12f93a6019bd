"""What the service's tests share: the API prefix, bearer headers, answers the offline rubric
scores, a container on a test database, and ``Callers``: keys of each role and tenant, links of
each kind (usable, revoked or expired) and sessions, made with the real ``AccessManager`` as
``interview-orchestrator keys create`` makes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from interview_orchestrator import Container, SessionConfig
from interview_orchestrator.access_manager import AccessManager
from interview_orchestrator.api.app import API_PREFIX
from interview_orchestrator.clock import utc_now

API = API_PREFIX

#: Answers the offline rubric can score (an evaluation of them is READY).
ANSWERS = (
    "High level: a load balancer, stateless API servers, a cache and a sharded database.",
    "The API is POST /links and GET /{code}; the data model is a table keyed by code with an "
    "index on owner.",
    "To scale we shard by key with consistent hashing, add read replicas and failover per shard.",
    "The trade-off of async replication is a little durability for lower latency.",
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def build_container(database_url: str, **settings: Any) -> Container:
    """A production container on the (already migrated) test database, logging off;
    ``settings`` by section, e.g. ``service={"ai_requests_per_minute": 3}``."""
    container = Container()
    container.config.database.url.from_value(database_url)
    container.config.database.auto_migrate.from_value("never")
    container.config.logging.enabled.from_value(False)
    for section, values in settings.items():
        for name, value in values.items():
            getattr(getattr(container.config, section), name).from_value(value)
    return container


@dataclass
class Callers:
    """Makes a test's callers (tokens) and sessions on ``container``'s database."""

    container: Container

    @property
    def access(self) -> AccessManager:
        manager: AccessManager = self.container.access_manager()
        return manager

    def key(self, role: str = "admin", tenant: str = "acme") -> str:
        """A new API key's token."""
        return self.access.create_key(f"{role} of {tenant}", role, tenant)[1]

    def revoked_key(self, role: str = "admin", tenant: str = "acme") -> str:
        key, token = self.access.create_key(f"revoked {role}", role, tenant)
        self.access.revoke_key(key.id)
        return token

    def link(self, session_id: str, kind: str = "candidate", minutes: int = 60) -> str:
        """A new link's token."""
        return self.link_with_id(session_id, kind, minutes)[1]

    def link_with_id(
        self, session_id: str, kind: str = "candidate", minutes: int = 60
    ) -> tuple[str, str]:
        session = self.container.session_manager().get_session(session_id)
        link, token = self.access.create_link(session, kind, minutes)
        return link.id, token

    def expired_link(self, session_id: str, kind: str = "candidate") -> str:
        """A link made two hours ago that lived one minute."""
        then = utc_now() - timedelta(hours=2)
        past = AccessManager(
            self.container.access_store(),
            self.container.rate_limit_store(),
            clock=lambda: then,
            logger=self.container.logger(),
        )
        session = self.container.session_manager().get_session(session_id)
        return past.create_link(session, kind, 1)[1]

    def revoked_link(self, session_id: str, kind: str = "candidate") -> str:
        link_id, token = self.link_with_id(session_id, kind)
        tenant = self.container.session_manager().get_session(session_id).tenant_id
        self.access.revoke_link(link_id, tenant_id=tenant)
        return token

    def session(self, tenant: str = "acme", *, started: bool = True, **config: Any) -> str:
        """A session of ``tenant`` made with the library (ACTIVE unless ``started=False``)."""
        manager = self.container.session_manager(tenant_id=tenant)
        session = manager.create_session(SessionConfig(**config))
        if started:
            manager.start_session(session.id)
        return str(session.id)

    def ended_session(self, tenant: str = "acme") -> str:
        """A session that was answered and ended, its evaluation PENDING (for a worker)."""
        sid = self.session(tenant)
        manager = self.container.session_manager(tenant_id=tenant)
        manager.send_message(sid, ANSWERS[0])
        manager.end_session(sid, evaluate="background")
        return sid
