"""The certificate PDF (issue 19): the badge image, the issuer's logo, a QR code that opens the
public page, the EU micro-credential elements in the reader's language, and fonts that print
every language (no "?" for characters outside WinAnsi); the name only with consent."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfReader

from microcred.accounts.actor import SYSTEM
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.verify.qr import NoQrCodeError, read_qr
from microcred.web.app import create_app
from microcred.web.pages import i18n
from tests.platform.conftest import IssuerFixture
from tests.platform.test_europass import eu_achievement

RED, GREEN = (220, 20, 20), (20, 160, 60)


def _png(colour: tuple[int, int, int], size: int = 96) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _pictures(reader: PdfReader) -> list[Image.Image]:
    return [picture.image.convert("RGB") for picture in reader.pages[0].images]


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def _issue(runtime: Runtime, issuer: IssuerFixture, name: str) -> str:
    achievement = runtime.achievements.create(SYSTEM, issuer.id, eu_achievement())
    runtime.achievements.update(SYSTEM, issuer.id, achievement.id, image=_png(RED))
    runtime.issuers.set_logo(SYSTEM, issuer.id, _png(GREEN, 64))
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement.id, email="ada@example.org", name=name)]
    )
    runtime.recipients.set_name_public(row.id, runtime.recipients.token(row.id), public=True)
    return row.id


def test_badge_logo_and_a_qr_code_that_opens_the_page(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    credential_id = _issue(runtime, issuer, "Ada Lovelace")
    response = web.get(f"/credentials/{credential_id}/certificate.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    pictures = _pictures(reader)
    centres = [p.getpixel((p.width // 2, p.height // 2)) for p in pictures]
    assert RED in centres  # the badge
    assert GREEN in centres  # the issuer's logo
    urls = []
    for picture in pictures:
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        try:
            urls.append(read_qr(buffer.getvalue()))
        except NoQrCodeError:  # the badge, the logo
            continue
    assert urls == [runtime.urls.credential(credential_id)]
    assert runtime.urls.credential(credential_id) in reader.pages[0].extract_text()


@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_the_eu_elements_in_the_readers_language(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, language: str
) -> None:
    credential_id = _issue(runtime, issuer, "Ada Lovelace")
    response = web.get(
        f"/credentials/{credential_id}/certificate.pdf", headers={"Accept-Language": language}
    )
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    _ = i18n.translations(language).gettext
    for label in ("European micro-credential", "EQF level", "Form of participation"):
        assert _(label) in text, (label, text)
    assert f"{_('EQF level')}: 6" in text
    assert _("Blended") in text  # the form of participation's value, named


def test_names_in_any_script_print_as_they_are(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    name = "Ада Łukasiewicz 李小龍 김민지 Ἀθηνᾶ"
    credential_id = _issue(runtime, issuer, name)
    response = web.get(f"/credentials/{credential_id}/certificate.pdf")
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert name in text
    assert "?" not in text
