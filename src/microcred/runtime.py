"""The composition root: builds the engine, sessions and services from settings.

Web, CLI and job workers each make one :class:`Runtime` and take services from it; nothing
else constructs services, so the wiring lives in this one place.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from microcred.crypto.proofs import utc_now
from microcred.crypto.sealing import Sealer
from microcred.jobs.queue import JobQueue
from microcred.services.achievements import AchievementService
from microcred.services.audit import AuditService
from microcred.services.batches import BatchService
from microcred.services.credentials import CredentialService
from microcred.services.events import EventService
from microcred.services.issuance import IssuanceHook, IssuanceService
from microcred.services.issuers import IssuerService
from microcred.services.lifecycle import LifecycleService
from microcred.services.notifications import NotificationService
from microcred.services.recipients import RecipientService
from microcred.services.staff import StaffService
from microcred.services.statuslists import StatusListService
from microcred.services.transparency import TransparencyService
from microcred.services.verification import VerificationService
from microcred.settings import Settings
from microcred.store.db import make_engine, migrate, session_factory


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.clock = clock
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = make_engine(settings.sqlalchemy_url)
        migrate(self.engine)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        # Started and stopped with the web server (job consumer threads, for example).
        self.on_startup: list[Callable[[], None]] = []
        self.on_shutdown: list[Callable[[], None]] = []

    @cached_property
    def sealer(self) -> Sealer:
        return Sealer(self.settings.master_secret.get_secret_value())

    @cached_property
    def issuers(self) -> IssuerService:
        return IssuerService(
            self.sessions, sealer=self.sealer, base_url=self.settings.base_url, clock=self.clock
        )

    @cached_property
    def achievements(self) -> AchievementService:
        return AchievementService(self.sessions, base_url=self.settings.base_url, clock=self.clock)

    @cached_property
    def issuance(self) -> IssuanceService:
        # The log entry lands in the credentials' own transaction; the e-mail row too, and its
        # job is queued after commit.
        hooks: list[IssuanceHook] = [self.transparency, self.notifications]
        return IssuanceService(
            self.sessions,
            issuers=self.issuers,
            achievements=self.achievements,
            clock=self.clock,
            status_list_length=self.settings.status_list_length,
            hooks=hooks,
        )

    @cached_property
    def lifecycle(self) -> LifecycleService:
        return LifecycleService(self)

    @cached_property
    def status_lists(self) -> StatusListService:
        return StatusListService(self)

    @cached_property
    def batches(self) -> BatchService:
        return BatchService(self)

    @cached_property
    def notifications(self) -> NotificationService:
        return NotificationService(self)

    @cached_property
    def transparency(self) -> TransparencyService:
        return TransparencyService(self)

    @cached_property
    def audit(self) -> AuditService:
        return AuditService(self)

    @cached_property
    def verification(self) -> VerificationService:
        return VerificationService(self)

    @cached_property
    def events(self) -> EventService:
        return EventService(self)

    @cached_property
    def recipients(self) -> RecipientService:
        return RecipientService(self)

    @cached_property
    def staff(self) -> StaffService:
        return StaffService(self.sessions, clock=self.clock)

    @cached_property
    def queue(self) -> JobQueue:
        """The job queue with every feature's tasks registered (web, CLI and workers alike)."""
        queue = JobQueue(self)
        self.batches.register_jobs(queue)
        self.notifications.register_jobs(queue)
        self.transparency.witness.register_jobs(queue)  # periodic anchors, when configured
        return queue

    @cached_property
    def credentials(self) -> CredentialService:
        return CredentialService(self.sessions)

    def close(self) -> None:
        self.engine.dispose()
