"""One error tree: every error microcred raises is defined in microcred.errors, has a stable code
of its own, and maps to one HTTP status."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime

import pytest

import microcred
from microcred import errors
from microcred.web.errors import status_for


def every_error_class() -> set[type[errors.MicrocredError]]:
    for module in pkgutil.walk_packages(microcred.__path__, "microcred."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found: set[type[errors.MicrocredError]] = set()
    todo = [errors.MicrocredError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_lives_in_the_error_module() -> None:
    outside = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in every_error_class()
        if cls.__module__ != "microcred.errors"
    )
    assert outside == []


def test_every_error_has_a_code_of_its_own_and_no_two_share_one() -> None:
    classes = every_error_class() - {errors.MicrocredError}
    without = sorted(cls.__name__ for cls in classes if "code" not in vars(cls))
    assert without == []
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)
    assert all(code.replace("_", "").isalpha() and code.islower() for code in codes)


def test_the_tree_drawn_in_the_docstring_names_every_class() -> None:
    doc = errors.__doc__ or ""
    missing = sorted(cls.__name__ for cls in every_error_class() if cls.__name__ not in doc)
    assert missing == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.InputError("x"), 422),
        (errors.BundleError("bad {what}", what="bundle"), 422),
        (errors.NoQrCodeError("x"), 422),
        (errors.ProofError("x"), 400),
        (errors.UrlRefusedError("x"), 422),
        (errors.FetchError("x"), 502),
        (errors.MailError("x", temporary=True), 503),
        (errors.ChainUnavailableError("x"), 503),
        (errors.NotConfiguredError("x"), 503),
        (errors.SealingError("x"), 500),
        (errors.LogStoreError("x"), 500),
        (errors.RecheckError("x"), 500),
        (errors.CheckpointError("x"), 422),
        (errors.AuditError("x"), 422),
        (errors.PageNotFoundError("x"), 404),
        (errors.CsrfError("x"), 403),
        (errors.UnauthenticatedError("x"), 401),
        (errors.SignInError("x"), 401),
        (errors.AccountLockedError(datetime(2026, 1, 1, tzinfo=UTC)), 429),
        (errors.ConflictError("x"), 409),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_each_error_maps_to_its_status(error: errors.MicrocredError, status: int) -> None:
    assert status_for(error) == status
