"""Prometheus metrics, one registry per runtime (tests build many runtimes in one process).

Per process: HTTP requests by method, route template and status, and their latency; the
credentials this process issued. Platform-wide, read when scraped (the same on every web
process, so aggregate them with ``max``, not ``sum``): jobs waiting in the queue, stored
credentials by state, and failed job attempts by task (counted in the database by whichever
worker saw them). See docs/design/operations.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

from microcred.store.tables import CredentialRow

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Request latencies: the service layer's targets are tens of milliseconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """An :class:`~microcred.issuing.issuance.IssuanceHook` too: it counts what was issued."""

    def __init__(
        self,
        *,
        queue_depth: Callable[[], int],
        credential_counts: Callable[[], dict[str, int]],
        job_failures: Callable[[], dict[str, int]],
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "microcred_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "microcred_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.issued = Counter(
            "microcred_credentials_issued",
            "Credentials issued by this process since it started.",
            registry=self.registry,
        )
        self.registry.register(_Platform(queue_depth, credential_counts, job_failures))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    # ---- the issuance hook ----------------------------------------------------------------

    def in_transaction(self, session: Session, credentials: Sequence[CredentialRow]) -> None:
        """Nothing: only what committed is counted (see :meth:`after_commit`)."""

    def after_commit(self, credentials: Sequence[CredentialRow]) -> None:
        self.issued.inc(len(credentials))


class _Platform(Collector):
    """Figures read at scrape time from the queue and the database. A source that does not
    answer is left out of the scrape (readiness says why) rather than failing it."""

    def __init__(
        self,
        queue_depth: Callable[[], int],
        credential_counts: Callable[[], dict[str, int]],
        job_failures: Callable[[], dict[str, int]],
    ) -> None:
        self.queue_depth = queue_depth
        self.credential_counts = credential_counts
        self.job_failures = job_failures

    def describe(self) -> list[Metric]:
        return []  # collected only when scraped: describing would run the queries at register

    def collect(self) -> Iterator[Metric]:
        try:
            depth = self.queue_depth()
        except Exception:  # noqa: S110 (an unreachable queue is reported by /readyz)
            pass
        else:
            yield GaugeMetricFamily(
                "microcred_queue_depth", "Jobs waiting in the queue (not those running).", depth
            )
        try:
            counts, failures = self.credential_counts(), self.job_failures()
        except Exception:  # an unreachable database is reported by /readyz
            return
        stored = GaugeMetricFamily(
            "microcred_credentials_stored",
            "Credentials stored on the platform, by state.",
            labels=["state"],
        )
        for state in sorted({"active", "revoked", "suspended", *counts}):
            stored.add_metric([state], counts.get(state, 0))
        yield stored
        failed = CounterMetricFamily(
            "microcred_job_failures",
            "Failed job attempts on the platform (retries included), by task.",
            labels=["task"],
        )
        for task, count in sorted(failures.items()):
            failed.add_metric([task], count)
        yield failed
