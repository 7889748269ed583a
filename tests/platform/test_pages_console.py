"""Console pages added for issue 4: achievement editor, bulk CSV, API keys, audit log,
dashboard charts, and the public page's certificate, signature snippet and Open Graph image."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from microcred.accounts.actor import SYSTEM, Role
from microcred.issuing.repository import CredentialFilter
from microcred.runtime import Runtime
from microcred.store.tables import StagedUploadRow
from microcred.web.app import create_app
from tests.platform.conftest import IssuerFixture
from tests.platform.test_pages import HTML, csrf, issue, sign_in, staff

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)">'
    b'<script>alert(2)</script><circle cx="5" cy="5" r="4"/></svg>'
)
ESCO = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def console(web: TestClient, runtime: Runtime, issuer: IssuerFixture, role: Role) -> TestClient:
    sign_in(web, staff(runtime, issuer, role))
    return web


def full_form(token: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "name": "Applied Statistics <b>101</b>",
        "description": "Describes, tests and models data.",
        "criteria": "Pass the final exam.",
        "criteria_url": "https://alpha.example/criteria",
        "achievement_type": "MicroCredential",
        "tags": "statistics, R ,  data",
        "credits": "5",
        "credit_system": "ects",
        "validity_months": "36",
        "alignment_name_0": "Python (computer programming)",
        "alignment_url_0": ESCO,
        "alignment_framework_0": "ESCO",
        "learning_outcomes": "Chooses a suitable test\nFits a linear model",
        "eqf_level": "6",
        "hours": "125",
        "participation_form": "blended",
        "accreditation": "",
        "prerequisites": "Basic algebra",
        "supervision": "supervised-onsite-id-verification",
        "stackability": "stackable",
        "further_information": "https://alpha.example/stats",
    }
    form.update(changes)
    return form


MULTI = [
    ("assessment_type", "written-exam"),
    ("assessment_type", "project"),
    ("quality_assurance", "internal"),
]


def post_form(web: TestClient, url: str, form: dict[str, str], files: dict | None = None):  # type: ignore[no-untyped-def]
    data = list(form.items()) + MULTI
    # httpx wants a dict for multipart; lists of tuples keep repeated keys.
    body = {}
    for key, value in data:
        body.setdefault(key, []).append(value)
    return web.post(
        url,
        data=body,
        files=files or {"image": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )


# ---- achievement editor --------------------------------------------------------------------------


def test_create_achievement_with_every_field(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    console(web, runtime, issuer, "issuer")
    page = web.get("/console/achievements/new")
    assert page.status_code == 200
    # Input constraints reach the browser as attributes, not as escaped text.
    assert 'maxlength="500"' in page.text
    assert 'min="1" max="1200"' in page.text
    assert "&#34;" not in page.text
    response = post_form(
        web,
        "/console/achievements/new",
        full_form(csrf(page.text)),
        files={"image": ("badge.svg", SVG, "image/svg+xml")},
    )
    assert response.status_code == 303, response.text
    achievement_id = response.headers["location"].split("/")[3].split("?")[0]
    row = runtime.achievements.get(SYSTEM, issuer.id, achievement_id)
    d = row.definition
    assert d["name"] == "Applied Statistics <b>101</b>"
    assert d["criteria"] == {
        "narrative": "Pass the final exam.",
        "id": "https://alpha.example/criteria",
    }
    assert d["achievementType"] == "MicroCredential"
    assert d["tag"] == ["statistics", "R", "data"]
    assert d["creditsAvailable"] == 5
    assert d["creditSystem"].startswith("http://data.europa.eu/snb/education-credit/")
    assert d["volumeOfLearning"] == "PT125H"
    assert d["alignment"][0]["targetUrl"] == ESCO
    assert [o["title"] for o in d["learningOutcome"]] == [
        "Chooses a suitable test",
        "Fits a linear model",
    ]
    assert d["eqfLevel"] == "http://data.europa.eu/snb/eqf/6"
    assert d["assessmentType"] == ["written-exam", "project"]
    assert d["qualityAssurance"] == ["internal"]
    assert d["participationForm"] == "blended"
    assert d["assessmentSupervision"] == "supervised-onsite-id-verification"
    assert d["stackability"] == "stackable"
    assert d["prerequisites"] == "Basic algebra"
    assert row.validity_months == 36
    # The SVG was sanitised before it was stored.
    assert row.image_media_type == "image/svg+xml"
    assert row.image is not None
    assert b"script" not in row.image
    assert b"onload" not in row.image

    edit = web.get(f"/console/achievements/{achievement_id}?done=created")
    assert "The achievement was created." in edit.text
    assert f'src="/achievements/{achievement_id}/image?v=1"' in edit.text  # the preview
    assert "Applied Statistics &lt;b&gt;101&lt;/b&gt;" in edit.text
    assert "<b>101</b>" not in edit.text
    assert 'value="125"' in edit.text
    assert 'value="written-exam" checked' in edit.text
    image = web.get(f"/achievements/{achievement_id}/image")
    assert image.headers["content-type"].startswith("image/svg+xml")


def test_edit_keeps_fields_the_form_does_not_show(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    runtime.achievements.update(
        SYSTEM,
        issuer.id,
        achievement_id,
        data={
            **runtime.achievements.get(SYSTEM, issuer.id, achievement_id).definition,
            "humanCode": "DA-1",
        },
    )
    console(web, runtime, issuer, "issuer")
    page = web.get(f"/console/achievements/{achievement_id}")
    assert "Data Analysis with Python" in page.text
    form = {
        "csrf_token": csrf(page.text),
        "name": "Data Analysis with Python, 2nd edition",
        "description": "Cleans data.",
        "criteria": "Notebooks.",
        "validity_months": "",
        "alignment_name_0": "Python",
        "alignment_url_0": ESCO,
    }
    response = web.post(
        f"/console/achievements/{achievement_id}", data=form, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    row = runtime.achievements.get(SYSTEM, issuer.id, achievement_id)
    assert row.name == "Data Analysis with Python, 2nd edition"
    assert row.definition["humanCode"] == "DA-1"
    assert "tag" not in row.definition  # cleared in the form
    assert row.validity_months is None
    assert row.version == 3


@pytest.mark.parametrize(
    ("changes", "input_id", "field"),
    [
        ({"name": ""}, "name", "name"),
        ({"alignment_url_0": "not a url"}, "alignment_url_0", "alignment[0].targetUrl"),
        ({"credits": "five"}, "credits", "creditsAvailable"),
        ({"validity_months": "0"}, "validity_months", "validityMonths"),
        ({"participation_form": ""}, "participation_form", "participationForm"),
    ],
)
def test_model_errors_are_shown_next_to_the_field(
    web: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    changes: dict[str, str],
    input_id: str,
    field: str,
) -> None:
    console(web, runtime, issuer, "issuer")
    token = csrf(web.get("/console/achievements/new").text)
    response = post_form(web, "/console/achievements/new", full_form(token, **changes))
    assert response.status_code == 422
    assert f'id="{input_id}-error"' in response.text
    assert f'<a href="#{input_id}">{field}</a>' in response.text
    assert re.search(rf'id="{input_id}"[^>]*aria-invalid="true"', response.text)
    # What was typed is still there.
    assert "Chooses a suitable test" in response.text
    assert runtime.achievements.list(SYSTEM, issuer.id) == []


def test_bad_image_is_refused_with_the_field_named(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    console(web, runtime, issuer, "issuer")
    token = csrf(web.get("/console/achievements/new").text)
    response = post_form(
        web,
        "/console/achievements/new",
        full_form(token),
        files={"image": ("x.gif", b"GIF89a....", "image/gif")},
    )
    assert response.status_code == 422
    assert 'id="image-error"' in response.text


def test_viewer_cannot_edit_achievements(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    console(web, runtime, issuer, "viewer")
    listing = web.get("/console/achievements")
    assert listing.status_code == 200
    assert "Data Analysis with Python" in listing.text
    assert web.get("/console/achievements/new").status_code == 403
    assert web.get(f"/console/achievements/{achievement_id}").status_code == 403


def test_another_issuers_achievement_is_not_found(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    from tests.platform.conftest import SIMPLE_ACHIEVEMENT

    theirs = runtime.achievements.create(SYSTEM, other_issuer.id, SIMPLE_ACHIEVEMENT).id
    console(web, runtime, issuer, "issuer")
    assert web.get(f"/console/achievements/{theirs}").status_code == 404


# ---- bulk CSV ------------------------------------------------------------------------------------


def csv_file(good: int, bad: list[str] | None = None) -> bytes:
    lines = ["email;name;Department"]
    lines += [f"person{i}@example.org;Person {i};Maths" for i in range(good)]
    lines += bad or []
    return ("\n".join(lines) + "\n").encode()


def test_bulk_upload_check_start_and_progress(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    console(web, runtime, issuer, "issuer")
    page = web.get(f"/console/bulk?achievement={achievement_id}")
    assert f'value="{achievement_id}" selected' in page.text
    data = csv_file(5, ["not-an-address;Broken;X", "person1@example.org;Twice;X"])
    check = web.post(
        "/console/bulk",
        data={"csrf_token": csrf(page.text), "achievement": achievement_id, "encoding": ""},
        files={"file": ("people.csv", data, "text/csv")},
    )
    assert check.status_code == 200, check.text
    assert 'data-rows="7"' in check.text
    assert 'data-good="5"' in check.text
    assert 'data-bad="2"' in check.text
    assert 'data-line="7"' in check.text  # the bad address, by its line in the file
    assert "the same recipient as line 3" in check.text
    assert "Department" in check.text  # ignored column named
    # Checking issued nothing.
    assert runtime.credentials.list(SYSTEM, issuer.id, CredentialFilter(), limit=10)[1] == 0
    token = re.search(r'name="token" value="([^"]+)"', check.text)
    assert token
    started = web.post(
        "/console/bulk/start",
        data={"csrf_token": csrf(check.text), "token": token.group(1)},
        follow_redirects=False,
    )
    assert started.status_code == 303
    progress = web.get(started.headers["location"])
    assert 'data-state="done"' in progress.text
    assert '<progress id="progress" max="5" value="5">' in progress.text
    assert 'http-equiv="refresh"' not in progress.text  # finished: no more refreshing
    assert runtime.credentials.list(SYSTEM, issuer.id, CredentialFilter(), limit=10)[1] == 5
    # Starting it again (a double submit) leads to the same batch, and issues nothing more.
    again = web.post(
        "/console/bulk/start",
        data={"csrf_token": csrf(check.text), "token": token.group(1)},
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert again.headers["location"] == started.headers["location"]
    assert runtime.credentials.list(SYSTEM, issuer.id, CredentialFilter(), limit=10)[1] == 5
    listing = web.get("/console/bulk")
    assert "people.csv" in listing.text


def test_running_batch_page_refreshes_itself(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    runtime.settings.queue_immediate = False  # the jobs wait in the queue
    batch = runtime.batches.create(SYSTEM, issuer.id, achievement_id, csv_file(3))
    console(web, runtime, issuer, "viewer")
    page = web.get(f"/console/bulk/{batch.id}")
    assert page.status_code == 200
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert 'data-state="queued"' in page.text
    assert "0 of 3" in page.text


def test_bulk_file_refused_whole(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    console(web, runtime, issuer, "issuer")
    token = csrf(web.get("/console/bulk").text)
    response = web.post(
        "/console/bulk",
        data={"csrf_token": token, "achievement": achievement_id},
        files={"file": ("x.csv", b"first,second\n1,2\n", "text/csv")},
    )
    assert response.status_code == 422
    assert "the header has no recipient column" in response.text
    with runtime.sessions() as session:  # nothing was staged
        assert session.scalar(select(func.count()).select_from(StagedUploadRow)) == 0


def test_bulk_needs_the_issuer_role_and_own_upload(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    console(web, runtime, issuer, "viewer")
    assert web.get("/console/bulk").status_code == 403
    token = csrf(web.get("/console").text)
    response = web.post("/console/bulk/start", data={"csrf_token": token, "token": "x" * 24})
    assert response.status_code == 403


# ---- API keys and audit log ----------------------------------------------------------------------


def test_api_keys_create_once_list_revoke(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    console(web, runtime, issuer, "owner")
    page = web.get("/console/api-keys")
    assert page.status_code == 200
    created = web.post(
        "/console/api-keys",
        data={"csrf_token": csrf(page.text), "name": "LMS <connector>", "role": "issuer"},
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    token = re.search(r'id="token" type="text" readonly value="(mc_[^"]+)"', created.text)
    assert token
    assert "LMS &lt;connector&gt;" in created.text
    # The token works for the API, and is never shown again.
    api = web.get(f"/api/v1/issuers/{issuer.id}", headers={"Authorization": f"Bearer {token[1]}"})
    assert api.status_code == 200
    listing = web.get("/console/api-keys")
    assert token[1] not in listing.text
    prefix = token[1].split("_")[1]
    assert f'data-key="{prefix}"' in listing.text
    key_id = next(
        k.id for k in runtime.issuers.list_api_keys(SYSTEM, issuer.id) if k.prefix == prefix
    )
    revoked = web.post(
        f"/console/api-keys/{key_id}/revoke",
        data={"csrf_token": csrf(listing.text)},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    api = web.get(f"/api/v1/issuers/{issuer.id}", headers={"Authorization": f"Bearer {token[1]}"})
    assert api.status_code == 401
    empty = web.post("/console/api-keys", data={"csrf_token": csrf(listing.text), "name": " "})
    assert empty.status_code == 422


def test_api_keys_are_for_owners_only(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    console(web, runtime, issuer, "issuer")
    assert web.get("/console/api-keys").status_code == 403
    token = csrf(web.get("/console").text)
    assert web.post("/console/api-keys", data={"csrf_token": token, "name": "x"}).status_code == 403


def test_audit_log_pages(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    for i in range(60):
        runtime.issuers.create_api_key(SYSTEM, issuer.id, f"key {i}")
    console(web, runtime, issuer, "viewer")
    first = web.get("/console/audit")
    assert first.status_code == 200
    assert "Page 1 of 2" in first.text
    total = runtime.audit.list(SYSTEM, issuer.id).total
    assert f"{total} events" in first.text
    assert first.text.count("\n  <tr>\n") == 50
    second = web.get("/console/audit?page=2")
    assert second.text.count("\n  <tr>\n") == total - 50
    assert 'rel="prev"' in second.text
    only = web.get("/console/audit?action=achievement.created")
    assert only.text.count("<code>achievement.created</code>") == 1
    assert "apikey.created" not in only.text.replace('value="achievement.created"', "")


# ---- dashboard figures ---------------------------------------------------------------------------


def test_statistics_page(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    for _ in range(3):
        issue(runtime, issuer, achievement_id)
    console(web, runtime, issuer, "viewer")
    page = web.get("/console/stats")
    assert page.status_code == 200
    assert page.text.count('<rect x="') >= 4 * 13  # 12 weeks + 1 achievement, 4 series
    assert 'role="img"' in page.text
    week = runtime.clock().date()
    monday = week.fromordinal(week.toordinal() - week.weekday()).isoformat()
    assert re.search(
        rf'data-week="{monday}"><td>[^<]+</td><td data-series="issued">3</td>', page.text
    )
    assert re.search(r'data-state="active"><td>Valid</td><td>3</td>', page.text)


# ---- public extras -------------------------------------------------------------------------------


def test_certificate_pdf(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    from pypdf import PdfReader

    credential_id = issue(runtime, issuer, achievement_id, name="Ada Lovelace")
    response = web.get(f"/credentials/{credential_id}/certificate.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    assert reader.metadata is not None
    assert reader.metadata.title == "Data Analysis with Python"
    text = reader.pages[0].extract_text()
    assert "Data Analysis with Python" in text
    assert "Alpha Academy" in text
    assert "Ada Lovelace" not in text  # the name needs the recipient's consent
    token = runtime.recipients.token(credential_id)
    runtime.recipients.set_name_public(credential_id, token, public=True)
    named = web.get(f"/credentials/{credential_id}/certificate.pdf")
    assert "Ada Lovelace" in PdfReader(io.BytesIO(named.content)).pages[0].extract_text()
    german = web.get(
        f"/credentials/{credential_id}/certificate.pdf", headers={"Accept-Language": "de"}
    )
    assert "Ausgestellt am" in PdfReader(io.BytesIO(german.content)).pages[0].extract_text()


def test_open_graph_and_signature_images(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    from PIL import Image

    credential_id = issue(runtime, issuer, achievement_id)
    og = web.get(f"/credentials/{credential_id}/og.png")
    assert og.status_code == 200
    assert og.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(og.content)).size == (1200, 630)
    signature = web.get(f"/credentials/{credential_id}/signature.png")
    assert Image.open(io.BytesIO(signature.content)).size == (600, 150)
    page = web.get(f"/credentials/{credential_id}", headers=HTML)
    assert (
        f'<meta property="og:image" content="https://badges.example.org/credentials/{credential_id}/og.png?v='
        in page.text
    )
    assert 'content="summary_large_image"' in page.text
    snippet = (
        f"&lt;a href=&#34;https://badges.example.org/credentials/{credential_id}&#34;&gt;"
        f"&lt;img src=&#34;https://badges.example.org/credentials/{credential_id}/signature.png&#34;"
    )
    assert snippet in page.text
    assert f'href="/credentials/{credential_id}/certificate.pdf"' in page.text
    assert web.get("/credentials/nope/og.png").status_code == 404


def test_og_image_uses_an_uploaded_png(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (255, 0, 0)).save(buffer, format="PNG")
    runtime.achievements.update(SYSTEM, issuer.id, achievement_id, image=buffer.getvalue())
    credential_id = issue(runtime, issuer, achievement_id)
    og = Image.open(io.BytesIO(web.get(f"/credentials/{credential_id}/og.png").content))
    assert og.convert("RGB").getpixel((70 + 195, 315)) == (255, 0, 0)  # the badge, centred
