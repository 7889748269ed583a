"""Every background job, listed in one place: what runs, how often, and how it is retried.

Each task is defined in its feature (the service method named here); this module only says
which jobs exist. The composition root calls :func:`register_tasks` once per queue, so the web
server, the CLI and every worker process know the same jobs under the same names.
"""

from __future__ import annotations

from collections.abc import Callable

from microcred.bulk.batches import CHUNK_JOB, CHUNK_PRIORITY, WATCHDOG_JOB, BatchService
from microcred.jobs.queue import JobQueue
from microcred.learners.service import (
    LINK_JOB,
    LINK_JOB_RETRIES,
    LINK_JOB_RETRY_DELAY,
    LearnerService,
)
from microcred.lms.lrs_pull import LRS_PULL_JOB, LRS_PULL_MINUTES, LrsPullService
from microcred.lms.lti.ags import AGS_PULL_JOB, AGS_PULL_MINUTES, AgsService
from microcred.lms.service import AWARD_JOB, LMS_SWEEP_JOB, LMS_SWEEP_MINUTES, LmsService
from microcred.notifications.expiry import (
    EXPIRY_EVERY_MINUTES,
    EXPIRY_JOB,
    ExpiryReminderService,
)
from microcred.notifications.service import (
    MAX_ATTEMPTS,
    RETRY_DELAY_SECONDS,
    SEND_JOB,
    SWEEP_EVERY_MINUTES,
    SWEEP_JOB,
    NotificationService,
)
from microcred.notifications.status_mail import (
    STATUS_MAIL_JOB,
    STATUS_MAIL_RETRIES,
    StatusMailService,
)
from microcred.pathways.service import (
    CASCADE_JOB,
    CASCADE_RETRIES,
    CASCADE_RETRY_DELAY,
    EVALUATE_JOB,
    EVALUATE_RETRIES,
    EVALUATE_RETRY_DELAY,
    PathwayService,
)
from microcred.transparency.witness import ANCHOR_JOB, TICK_MINUTES, WitnessService
from microcred.wallet.reverify import (
    NOTIFY_JOB,
    NOTIFY_RETRIES,
    NOTIFY_RETRY_DELAY,
    REVERIFY_EVERY_MINUTES,
    REVERIFY_JOB,
    ReverificationService,
)
from microcred.webhooks.service import (
    DELIVER_JOB,
    WEBHOOK_SWEEP_JOB,
    WEBHOOK_SWEEP_MINUTES,
    WebhookService,
)


def register_tasks(
    queue: JobQueue,
    *,
    batches: Callable[[], BatchService],
    notifications: Callable[[], NotificationService],
    witness: Callable[[], WitnessService],
    learners: Callable[[], LearnerService] | None = None,
    reverification: Callable[[], ReverificationService] | None = None,
    status_mail: Callable[[], StatusMailService] | None = None,
    pathways: Callable[[], PathwayService] | None = None,
    webhooks: Callable[[], WebhookService] | None = None,
    lms: Callable[[], LmsService] | None = None,
    lti_ags: Callable[[], AgsService] | None = None,
    expiry_reminders: Callable[[], ExpiryReminderService] | None = None,
    lrs_pull: Callable[[], LrsPullService] | None = None,
) -> None:
    """Add every job to ``queue``. Each service is given as a callable that returns it, read
    when the job runs: the services themselves take the queue, so they cannot exist yet."""

    # Bulk issuance. Retries cover transient failures (a lock timeout, a dropped connection);
    # the watchdog covers jobs lost with their worker. Chunks go ahead of e-mail jobs: the
    # credentials are what the batch waits for, and with both queued the cores would otherwise
    # split between issuing and e-mailing (see docs/design/jobs.md).
    def run_chunk(batch_id: str, chunk: int) -> None:
        batches().run_chunk(batch_id, chunk)

    queue.register(CHUNK_JOB, run_chunk, retries=3, retry_delay=5, priority=CHUNK_PRIORITY)
    queue.register_periodic(WATCHDOG_JOB, lambda: batches().watchdog(), minutes=1)
    queue.on_consumer_start(lambda: batches().recover())

    # The issuance e-mail. The row's attempt counter is the real limit; the queue's retries
    # just come back soon. The sweep requeues rows whose job was lost.
    def send(*credential_ids: str) -> dict[str, str]:
        return notifications().send_job(*credential_ids)

    queue.register(SEND_JOB, send, retries=MAX_ATTEMPTS - 1, retry_delay=RETRY_DELAY_SECONDS)
    queue.register_periodic(
        SWEEP_JOB, lambda: notifications().sweep_job(), minutes=SWEEP_EVERY_MINUTES
    )
    queue.on_consumer_start(lambda: notifications().recover())

    # A learner's sign-in or address link: each try makes a new token and mails it.
    if learners is not None:
        get_learners = learners

        def send_link(
            purpose: str, email: str, learner_id: str | None, language: str, next_path: str | None
        ) -> None:
            get_learners().send_link_job(purpose, email, learner_id, language, next_path)

        queue.register(
            LINK_JOB, send_link, retries=LINK_JOB_RETRIES, retry_delay=LINK_JOB_RETRY_DELAY
        )

    # The wallet's re-verification: every hour, and one e-mail job per learner it found news
    # for (a temporary mail failure raises for the retry; a lost job is queued by the next run).
    if reverification is not None:
        get_reverification = reverification

        def notify(learner_id: str) -> None:
            get_reverification().notify_job(learner_id)

        queue.register(NOTIFY_JOB, notify, retries=NOTIFY_RETRIES, retry_delay=NOTIFY_RETRY_DELAY)
        queue.register_periodic(
            REVERIFY_JOB, lambda: get_reverification().run(), minutes=REVERIFY_EVERY_MINUTES
        )

    # The recipient's e-mail when a credential is revoked, suspended or reinstated: a
    # temporary mail failure raises for the retry (the move itself is committed).
    if status_mail is not None:
        get_status_mail = status_mail

        def send_status(credential_id: str, move: str, at: str) -> str:
            return get_status_mail().send_job(credential_id, move, at)

        queue.register(
            STATUS_MAIL_JOB,
            send_status,
            retries=STATUS_MAIL_RETRIES,
            retry_delay=RETRY_DELAY_SECONDS,
        )

    # A learner's pathways after a credential of theirs landed: award what is now complete
    # (idempotent: the award's unique row and the issuance key make a retry or a race harmless).
    if pathways is not None:
        get_pathways = pathways

        def evaluate(email: str) -> list[str]:
            return get_pathways().evaluate_job(email)

        queue.register(
            EVALUATE_JOB, evaluate, retries=EVALUATE_RETRIES, retry_delay=EVALUATE_RETRY_DELAY
        )

        # A part many micro-degrees depend on moved: one chunk of their cascade (idempotent:
        # it applies the part's current state, and what is done already is left as it is).
        def cascade(ref: str, award_ids: list[str]) -> int:
            return get_pathways().cascade_job(ref, award_ids)

        # Ahead of e-mail (a cascade queues a status mail per micro-degree it moves): the
        # micro-degrees' states are what verifiers see.
        queue.register(
            CASCADE_JOB,
            cascade,
            retries=CASCADE_RETRIES,
            retry_delay=CASCADE_RETRY_DELAY,
            priority=CHUNK_PRIORITY,
        )

    # Webhooks out: one attempt per job (the queue's own retries stay off: the delivery row
    # keeps the attempt count and the backoff); the sweep queues due retries and emits
    # credential.expired each minute.
    if webhooks is not None:
        get_webhooks = webhooks

        def deliver(delivery_id: str) -> str:
            return get_webhooks().deliver(delivery_id)

        queue.register(DELIVER_JOB, deliver)
        queue.register_periodic(
            WEBHOOK_SWEEP_JOB, lambda: get_webhooks().sweep(), minutes=WEBHOOK_SWEEP_MINUTES
        )

    # Award rules: each job issues a group of awards (idempotent by award, so the queue's
    # retries are safe); the sweep re-queues awards whose job was lost.
    if lms is not None:
        get_lms = lms

        def award(issuer_id: str, *award_ids: str) -> int:
            return get_lms().award_job(issuer_id, *award_ids)

        queue.register(AWARD_JOB, award, retries=3, retry_delay=30)
        queue.register_periodic(LMS_SWEEP_JOB, lambda: get_lms().sweep(), minutes=LMS_SWEEP_MINUTES)

    # LTI Assignment and Grade Services: the line items' results, read every 15 minutes.
    if lti_ags is not None:
        get_ags = lti_ags
        queue.register_periodic(AGS_PULL_JOB, lambda: get_ags().pull(), minutes=AGS_PULL_MINUTES)

    # Reminders before credentials expire: once per credential (see notifications/expiry.py).
    if expiry_reminders is not None:
        get_expiry = expiry_reminders
        queue.register_periodic(
            EXPIRY_JOB, lambda: get_expiry().run_job(), minutes=EXPIRY_EVERY_MINUTES
        )

    # xAPI statements pulled from existing LRSs (each page stored with its cursor, so a run
    # cut short pulls again and awards nothing twice).
    if lrs_pull is not None:
        get_pull = lrs_pull
        queue.register_periodic(LRS_PULL_JOB, lambda: get_pull().pull(), minutes=LRS_PULL_MINUTES)

    # Anchoring checkpoints on a chain: only with the witness on and an interval set.
    if witness().periodic:
        queue.register_periodic(ANCHOR_JOB, lambda: witness().run_job(), minutes=TICK_MINUTES)


__all__ = ["register_tasks"]
