"""Handlers that keep a page or a job alive after an unexpected error also log it, with enough
to debug (kind, where), and never a secret a foreign error's text may carry."""

from __future__ import annotations

import logging
from typing import NoReturn

import pytest

from microcred.runtime import Runtime
from microcred.verify import Verifier
from microcred.verify.result import Status
from microcred.web.pages.artwork import _badge

PNG_HEAD = b"\x89PNG\r\n\x1a\n"


def test_an_unreadable_badge_image_is_skipped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="microcred.web.pages.artwork"):
        assert _badge(PNG_HEAD + b"not really a png", "image/png", 64) is None
    [record] = caplog.records
    assert "badge image (24 bytes) not drawn" in record.getMessage()


def test_a_bug_in_a_check_is_an_internal_failure_and_a_logged_trace(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object) -> NoReturn:
        raise RuntimeError("a check fell over")

    monkeypatch.setattr(Verifier, "_verify_payload", broken)
    with caplog.at_level(logging.ERROR, logger="microcred.verify.verifier"):
        result = Verifier().verify(b'{"@context": [], "type": ["VerifiableCredential"]}')
    check = result.check("internal")
    assert check is not None
    assert check.status is Status.FAILED
    assert not result.verified
    [record] = caplog.records
    assert "stopped by RuntimeError" in record.getMessage()
    assert record.exc_info is not None


def test_a_bug_while_reading_input_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object) -> NoReturn:
        raise KeyError("surprise")

    monkeypatch.setattr(Verifier, "_read", broken)
    with caplog.at_level(logging.WARNING, logger="microcred.verify.verifier"):
        result = Verifier().verify(b"{}")
    assert not result.verified
    assert any("input could not be read: KeyError" in r.getMessage() for r in caplog.records)


def test_a_failed_anchoring_run_logs_where_but_not_the_foreign_text(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> NoReturn:
        raise ValueError("https://node.example/v3/SECRET-API-KEY refused")

    monkeypatch.setattr(runtime.witness, "anchor_due", broken)
    with caplog.at_level(logging.WARNING, logger="microcred.transparency.witness"):
        runtime.witness.run_job()
    [record] = caplog.records
    message = record.getMessage()
    assert "anchoring failed, tried again next time: ValueError" in message
    assert "in broken" in message  # the frame it came from
    assert "SECRET-API-KEY" not in message
