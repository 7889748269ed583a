"""Check messages: English for the API and CLI, every template in every page catalogue with
the same fields, and a broken translation never breaks a page."""

from __future__ import annotations

import base64
import string
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from microcred.verify import Status
from microcred.verify import messages as m
from microcred.verify.result import Check


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_every_check_message_is_translated_with_the_same_fields(language: str) -> None:
    from microcred.web.pages import i18n

    catalogue = i18n.translations(language)
    templates = m.templates()
    assert len(templates) > 50
    for name, template in templates.items():
        translated = catalogue.gettext(template)
        assert translated != template, (language, name)
        assert fields(translated) == fields(template), (language, name, translated)


def test_a_check_keeps_english_and_fills_translations() -> None:
    check = Check.said("validity", Status.FAILED, m.EXPIRED, end="2025-01-01")
    assert check.message == "expired on 2025-01-01"
    assert check.to_json() == {
        "name": "validity",
        "status": "failed",
        "message": "expired on 2025-01-01",
    }
    german = {m.EXPIRED: "abgelaufen am {end}"}
    assert check.localised(lambda t: german.get(t, t)) == "abgelaufen am 2025-01-01"
    # A catalogue entry with a wrong field falls back to English rather than failing.
    assert check.localised(lambda _t: "abgelaufen am {ende}") == "expired on 2025-01-01"
    # Braces in a value are not read as fields.
    odd = Check.said("input", Status.FAILED, m.UNREADABLE, reason="{x}")
    assert odd.localised(lambda t: t) == "the input could not be read: {x}"
    # A check made from a plain message (no template) reads the same everywhere.
    plain = Check("log", Status.PASSED, "included")
    assert plain.localised(lambda _t: "übersetzt") == "included"


def test_the_input_format_is_named_in_the_catalogue_language() -> None:
    german = {
        m.FORMAT_CREDENTIAL: "Nachweis",
        m.FORMAT_OB2_SIGNED: "signierte Open-Badges-2.0-Assertion",
        m.FORMAT_BAKED: "{kind}, eingebettet in ein {image}-Bild",
        m.READ: "gelesen: {format}",
    }

    def gettext(template: str) -> str:
        return german.get(template, template)

    baked = m.baked_format(m.FORMAT_CREDENTIAL, "png")
    assert baked == "credential baked in PNG"  # English as before, for the API and the CLI
    assert m.localised_format(baked, gettext) == "Nachweis, eingebettet in ein PNG-Bild"
    signed_svg = m.baked_format(m.FORMAT_OB2_SIGNED, "svg")
    assert m.localised_format(signed_svg, gettext) == (
        "signierte Open-Badges-2.0-Assertion, eingebettet in ein SVG-Bild"
    )
    # Names, and formats it does not know, stay as they are.
    assert m.localised_format(m.FORMAT_JWT, gettext) == "VC-JWT"
    assert m.localised_format("something else", gettext) == "something else"
    # A broken catalogue entry falls back to English.
    assert m.localised_format(baked, lambda _t: "{wrong}") == baked
    # The input check uses the same names.
    check = Check.said("input", Status.PASSED, m.READ, format=baked)
    assert check.message == "read credential baked in PNG"
    assert check.localised(gettext) == "gelesen: Nachweis, eingebettet in ein PNG-Bild"


# --- the transparency-log and anchor checks (verify/log_check.py) -------------------------------


class _Chain:
    """An in-memory AnchorReader: one chain that holds ``data`` in ``TX``, or that is down."""

    def __init__(self, data: bytes | None = None, *, down: bool = False, odd: bool = False):
        self.data, self.down, self.odd = data, down, odd

    def chain_id(self) -> int:
        from microcred.errors import ChainUnavailableError

        if self.down:
            raise ChainUnavailableError("the chain could not be asked", found="ConnectionError")
        if self.odd:
            raise RuntimeError("garbled answer")
        return 5

    def transaction(self, tx_hash: str) -> Any:
        from microcred.ledger.anchor import ChainTransaction

        assert self.data is not None
        return ChainTransaction(5, tx_hash, self.data, 7, ANCHORED_AT, True)


ANCHORED_AT = datetime(2026, 6, 1, 12, 0, 12, tzinfo=UTC)
TX = "0x" + "ab" * 32


def _log_case() -> tuple[dict[str, Any], dict[str, Any], str, bytes]:
    """A credential, its bundle (anchored), the log's vkey, and the anchor's true data."""
    from microcred.ledger import (
        Checkpoint,
        MemoryLogStore,
        MerkleLog,
        inclusion_proof,
        sign_checkpoint,
        verifier_key,
    )
    from microcred.ledger.anchor import anchor_data
    from microcred.verify.log_check import issuance_entry

    key = Ed25519PrivateKey.generate()
    credential = {"id": "https://badges.example.org/credentials/abc", "type": ["X"]}
    log = MerkleLog(MemoryLogStore())
    log.extend([b"a", issuance_entry(credential), b"c"])
    note = sign_checkpoint(
        Checkpoint(
            origin="badges.example.org/log",
            tree_size=3,
            root_hash=log.root(3),
            timestamp=ANCHORED_AT,
        ),
        key,
    )
    bundle = {
        "credentialId": credential["id"],
        "leafIndex": 1,
        "treeSize": 3,
        "inclusionProof": [base64.b64encode(h).decode() for h in inclusion_proof(log.store, 1, 3)],
        "checkpoint": note,
        "anchor": {
            "format": "microcred-anchor/v1",
            "treeSize": 3,
            "chainId": 5,
            "txHash": TX,
            "blockNumber": 7,
            "blockTimestamp": "2026-06-01T12:00:12Z",
        },
    }
    return (
        credential,
        bundle,
        verifier_key("badges.example.org/log", key.public_key()),
        (anchor_data(note)),
    )


def test_log_and_anchor_checks_are_translated_with_their_values() -> None:
    from microcred.verify.log_check import check_anchor, check_transparency
    from microcred.web.pages import i18n

    credential, bundle, vkey, data = _log_case()
    unanchored = {k: v for k, v in bundle.items() if k != "anchor"}
    cases = {
        m.LOG_INCLUDED: check_transparency(credential, unanchored, vkey),
        m.LOG_NO_BUNDLE: check_transparency(credential, None, vkey),
        m.BUNDLE_OTHER_CREDENTIAL: check_transparency({**credential, "id": "x:y"}, bundle, vkey),
        m.BUNDLE_FIELD: check_transparency(credential, {**bundle, "leafIndex": "1"}, vkey),
        m.BUNDLE_HASH: check_transparency(credential, {**bundle, "inclusionProof": ["!"]}, vkey),
        m.BUNDLE_OTHER_SIZE: check_transparency(credential, {**bundle, "treeSize": 2}, vkey),
        m.LOG_NOT_SHOWN: check_transparency({**credential, "type": ["Y"]}, bundle, vkey),
        m.ANCHOR_NONE: check_anchor(unanchored, None),
        m.ANCHOR_NOT_CHECKED: check_anchor(bundle, None),
        m.ANCHOR_OK: check_anchor(bundle, _Chain(data)),
        m.ANCHOR_FAILED: check_anchor(bundle, _Chain(b"something else")),
        m.ANCHOR_UNREACHABLE: check_anchor(bundle, _Chain(down=True)),
        m.ANCHOR_UNUSABLE: check_anchor(bundle, _Chain(odd=True)),
        m.ANCHOR_UNREADABLE: check_anchor({**bundle, "anchor": {"format": "v0"}}, None),
    }
    expected_status = {
        m.LOG_INCLUDED: Status.PASSED,
        m.ANCHOR_OK: Status.PASSED,
        m.LOG_NO_BUNDLE: Status.SKIPPED,
        m.ANCHOR_NONE: Status.SKIPPED,
        m.ANCHOR_NOT_CHECKED: Status.SKIPPED,
        m.ANCHOR_UNREACHABLE: Status.WARNING,
        m.ANCHOR_UNUSABLE: Status.WARNING,
        m.ANCHOR_UNREADABLE: Status.WARNING,
    }
    german = i18n.translations("de").gettext
    for template, check in cases.items():
        assert check.template == template, (template, check.message)
        assert check.status is expected_status.get(template, Status.FAILED), check.message
        values = dict(check.params)
        assert check.message == template.format(**values)  # the API's English is unchanged
        localised = check.localised(german)
        assert localised != check.message
        assert localised == german(template).format(**values)
        for value in values.values():  # what the check found stays as found, in any language
            assert value in localised
    not_checked = cases[m.ANCHOR_NOT_CHECKED]
    assert (dict(not_checked.params)["tx"], dict(not_checked.params)["size"]) == (TX, "3")
    assert "Blockchain 5 in der Transaktion " + TX in not_checked.localised(german)
    # A bundle problem read by a person in French names the field it is about.
    french = cases[m.BUNDLE_FIELD].localised(i18n.translations("fr").gettext)
    assert french.startswith("le lot de preuves n’a pas de champ leafIndex valide")


def test_a_passed_log_check_never_claims_the_bundles_anchor() -> None:
    """The anchor is an unsigned field of the bundle: only the anchor check may mention it."""
    from microcred.verify.log_check import check_transparency

    credential, bundle, vkey, _ = _log_case()
    check = check_transparency(credential, bundle, vkey)
    assert check.status is Status.PASSED
    assert check.template == m.LOG_INCLUDED
    assert TX not in check.message
    assert "anchor" not in check.message


def test_the_verifier_reports_a_claimed_anchor_as_not_checked_without_a_reader() -> None:
    from microcred.verify import Verifier

    credential, bundle, vkey, data = _log_case()
    result = Verifier(log_key=vkey).verify(credential, log_bundle=bundle)
    log, anchor = result.check("transparency-log"), result.check("anchor")
    assert log is not None
    assert anchor is not None
    assert (log.status, log.template) == (Status.PASSED, m.LOG_INCLUDED)
    assert TX not in log.message
    assert (anchor.status, anchor.template) == (Status.SKIPPED, m.ANCHOR_NOT_CHECKED)
    assert TX in anchor.message
    # With a reader the chain is asked; a bundle without an anchor gets no anchor claim.
    checked = Verifier(log_key=vkey, anchor_reader=_Chain(data)).verify(
        credential, log_bundle=bundle
    )
    asked = checked.check("anchor")
    assert asked is not None
    assert asked.status is Status.PASSED, asked.message
    unanchored = {k: v for k, v in bundle.items() if k != "anchor"}
    plain = Verifier(log_key=vkey).verify(credential, log_bundle=unanchored)
    assert plain.check("anchor") is None
    assert plain.check("transparency-log") is not None
