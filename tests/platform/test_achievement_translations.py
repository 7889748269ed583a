"""Issue 19: achievement text in several languages. The API takes translations (checked BCP 47
tags, clear 4xx), the credential carries them as language maps under their own context and still
verifies, and the pages show the reader's language, falling back to the default text."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from microcred.model import I18N_CONTEXT
from microcred.runtime import Runtime
from microcred.verify import Status, Verifier
from microcred.web.app import create_app
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, IssuerFixture
from tests.platform.test_pages import HTML

ACHIEVEMENT = {**SIMPLE_ACHIEVEMENT, "inLanguage": "en"}
TRANSLATIONS = {
    "de": {
        "name": "Datenanalyse mit Python",
        "description": "Bereinigt, erkundet und visualisiert Tabellendaten mit pandas.",
        "criteria": "Sechs bewertete Notebooks und eine Abschlussanalyse.",
    },
    "fr": {"name": "Analyse de données avec Python"},
    "es": {"name": "Análisis de datos con Python", "description": "Limpia y explora datos."},
    "ar": {"name": "تحليل البيانات باستخدام بايثون"},
    "pt-br": {"name": "Análise de dados com Python"},
}


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def create(client: TestClient, issuer: IssuerFixture, translations: Any, **extra: Any) -> Any:
    body = {"achievement": {**ACHIEVEMENT, **extra}, "translations": translations}
    return client.post(
        f"/api/v1/issuers/{issuer.id}/achievements", json=body, headers=issuer.headers
    )


def issue(client: TestClient, issuer: IssuerFixture, achievement_id: str) -> dict[str, Any]:
    answer = client.post(
        f"/api/v1/issuers/{issuer.id}/credentials",
        json={"achievementId": achievement_id, "recipient": {"did": "did:example:ada"}},
        headers=issuer.headers,
    )
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


@pytest.fixture
def translated(client: TestClient, issuer: IssuerFixture) -> dict[str, Any]:
    answer = create(client, issuer, TRANSLATIONS)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_translations_are_stored_with_standard_tags_and_shown_as_language_maps(
    translated: dict[str, Any],
) -> None:
    assert sorted(translated["translations"]) == ["ar", "de", "es", "fr", "pt-BR"]
    achievement = translated["achievement"]
    assert achievement["name"] == "Data Analysis with Python"  # the default stays a string
    assert achievement["nameMap"]["pt-BR"] == "Análise de dados com Python"
    assert achievement["descriptionMap"] == {
        "de": TRANSLATIONS["de"]["description"],
        "es": "Limpia y explora datos.",
    }
    assert achievement["criteria"] == {
        "narrative": SIMPLE_ACHIEVEMENT["criteria"]["narrative"],  # type: ignore[index]
        "narrativeMap": {"de": TRANSLATIONS["de"]["criteria"]},
    }


@pytest.mark.parametrize(
    ("translations", "extra", "field", "found"),
    [
        ({"xx": {"name": "?"}}, {}, "translations.xx", "'xx'"),
        ({"de--1": {"name": "?"}}, {}, "translations.de--1", "'de--1'"),
        ({"": {"name": "?"}}, {}, "translations.", "''"),
        ({"de": {"name": "a"}, "DE": {"name": "b"}}, {}, "translations.DE", "'DE'"),
        ({"en": {"name": "Data"}}, {}, "translations.en", "'en'"),
        ({"de": {"title": "x"}}, {}, "translations.de.title", None),
        ({"de": {"name": 5}}, {}, "translations.de.name", "5"),
        ({"de": {"name": "x" * 501}}, {}, "translations.de.name", "501"),
        ({"de": "Daten"}, {}, "translations.de", "str"),
        (["de"], {}, "translations", "list"),
        ({"de": {"learningOutcomes": ["a"]}}, {}, "translations.de.learningOutcomes", "['a']"),
        ({"de": {"name": "Daten"}}, {"inLanguage": None}, "inLanguage", None),
    ],
    ids=[
        "unregistered",
        "malformed",
        "empty-tag",
        "twice",
        "default-language",
        "unknown-field",
        "not-text",
        "too-long",
        "not-object",
        "not-a-map",
        "outcomes-without-outcomes",
        "no-default-language",
    ],
)
def test_bad_translations_are_a_clear_422(
    client: TestClient,
    issuer: IssuerFixture,
    translations: Any,
    extra: dict[str, Any],
    field: str,
    found: str | None,
) -> None:
    body_extra = {k: v for k, v in extra.items() if v is not None}
    achievement = {**ACHIEVEMENT, **body_extra}
    for key in [k for k, v in extra.items() if v is None]:
        achievement.pop(key, None)
    answer = client.post(
        f"/api/v1/issuers/{issuer.id}/achievements",
        json={"achievement": achievement, "translations": translations},
        headers=issuer.headers,
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_model"
    assert error["message"].startswith(f"{field}: ")
    assert error["expected"]
    if found is not None:
        assert error["found"] == found


def test_the_default_language_is_stored_in_its_standard_form(
    client: TestClient, issuer: IssuerFixture
) -> None:
    answer = create(client, issuer, {"de": {"name": "Daten"}}, inLanguage="pt-br")
    assert answer.status_code == 201, answer.text
    assert answer.json()["achievement"]["inLanguage"] == "pt-BR"
    clash = create(client, issuer, {"PT-BR": {"name": "Dados"}}, inLanguage="pt-br")
    assert clash.status_code == 422
    assert clash.json()["error"]["message"].startswith("translations.PT-BR: ")


def test_language_maps_inside_the_definition_are_refused(
    client: TestClient, issuer: IssuerFixture
) -> None:
    answer = create(client, issuer, None, nameMap={"de": "Daten"})
    assert answer.status_code == 422
    assert answer.json()["error"]["message"].startswith("nameMap: ")
    assert "translations" in answer.json()["error"]["expected"]


def test_patch_keeps_replaces_and_removes_translations(
    client: TestClient, issuer: IssuerFixture, translated: dict[str, Any]
) -> None:
    url = f"/api/v1/issuers/{issuer.id}/achievements/{translated['id']}"
    kept = client.patch(url, json={"validityMonths": 12}, headers=issuer.headers).json()
    assert kept["translations"] == translated["translations"]
    replaced = client.patch(
        url, json={"translations": {"it": {"name": "Analisi dei dati"}}}, headers=issuer.headers
    ).json()
    assert replaced["achievement"]["nameMap"] == {"it": "Analisi dei dati"}
    assert replaced["version"] == kept["version"] + 1
    # A new definition whose language is now a translation's is refused, naming it.
    clash = client.patch(
        url, json={"achievement": {**ACHIEVEMENT, "inLanguage": "it"}}, headers=issuer.headers
    )
    assert clash.status_code == 422
    assert clash.json()["error"]["message"].startswith("translations.it: ")
    removed = client.patch(url, json={"translations": None}, headers=issuer.headers).json()
    assert removed["translations"] == {}
    assert "nameMap" not in removed["achievement"]


def test_other_issuers_cannot_touch_them(
    client: TestClient, issuer: IssuerFixture, other_issuer: IssuerFixture, translated: Any
) -> None:
    answer = client.patch(
        f"/api/v1/issuers/{issuer.id}/achievements/{translated['id']}",
        json={"translations": {"de": {"name": "gekapert"}}},
        headers=other_issuer.headers,
    )
    assert answer.status_code in (403, 404)


def test_the_signed_credential_carries_the_maps_under_their_context_and_verifies(
    client: TestClient, issuer: IssuerFixture, translated: dict[str, Any]
) -> None:
    issued = issue(client, issuer, translated["id"])
    credential = issued["credential"]
    assert credential["@context"][-1] == I18N_CONTEXT
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["nameMap"]["de"] == "Datenanalyse mit Python"
    verdict = client.post("/api/v1/verify", json={"credential": credential})
    assert verdict.status_code == 200, verdict.text
    assert verdict.json()["verified"] is True, verdict.text
    summary = verdict.json()["summary"]
    assert summary["achievementNames"]["fr"] == "Analyse de données avec Python"
    assert summary["achievementLanguage"] == "en"
    # Each translation is signed: changing one breaks the proof.
    changed = copy.deepcopy(credential)
    changed["credentialSubject"]["achievement"]["nameMap"]["de"] = "Etwas anderes"
    assert Verifier().verify(changed).check("proof").status == Status.FAILED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("headers", "cookies", "name", "lang"),
    [
        ({"Accept-Language": "de-CH,de;q=0.9"}, {}, "Datenanalyse mit Python", "de"),
        ({"Accept-Language": "fr"}, {}, "Analyse de données avec Python", "fr"),
        ({"Accept-Language": "es"}, {}, "Análisis de datos con Python", "es"),
        ({"Accept-Language": "en"}, {}, "Data Analysis with Python", "en"),
        ({"Accept-Language": "pt-BR,en;q=0.5"}, {}, "Análise de dados com Python", "pt-BR"),
        ({"Accept-Language": "ar"}, {}, "تحليل البيانات باستخدام بايثون", "ar"),
        ({"Accept-Language": "it,ja"}, {}, "Data Analysis with Python", "en"),
        ({"Accept-Language": "fr"}, {"mc_lang": "de"}, "Datenanalyse mit Python", "de"),
    ],
    ids=["de-CH", "fr", "es", "en", "pt-BR", "ar", "fallback", "cookie-wins"],
)
def test_pages_show_the_readers_language(
    web: TestClient,
    client: TestClient,
    issuer: IssuerFixture,
    translated: dict[str, Any],
    headers: dict[str, str],
    cookies: dict[str, str],
    name: str,
    lang: str,
) -> None:
    issued = issue(client, issuer, translated["id"])
    web.cookies.clear()
    for key, value in cookies.items():
        web.cookies.set(key, value)
    direction = "rtl" if lang == "ar" else "ltr"
    attrs = f'lang="{lang}" dir="{direction}"'
    page = web.get(f"/credentials/{issued['id']}", headers={**HTML, **headers}).text
    assert f"<h1 {attrs}>{name}</h1>" in page
    profile = web.get(f"/issuers/{issuer.slug}", headers={**HTML, **headers}).text
    assert f'href="/achievements/{translated["id"]}" {attrs}>{name}</a>' in profile
    embed = web.get(f"/credentials/{issued['id']}/embed", headers=headers).text
    assert f"<strong {attrs}>{name}</strong>" in embed
    verify = web.post(
        "/verify",
        data={"text": json.dumps(issued["credential"]), "csrf_token": _csrf(web)},
        headers=headers,
    )
    assert verify.status_code == 200, verify.text
    assert f'<p class="what" {attrs}>{name}</p>' in verify.text


def test_each_text_falls_back_on_its_own(
    web: TestClient, client: TestClient, issuer: IssuerFixture, translated: dict[str, Any]
) -> None:
    issued = issue(client, issuer, translated["id"])
    page = web.get(f"/credentials/{issued['id']}", headers={**HTML, "Accept-Language": "fr"}).text
    assert '<h1 lang="fr" dir="ltr">Analyse de données avec Python</h1>' in page
    # No French description or criteria: the English ones, marked as English.
    assert f'<p class="description" lang="en" dir="ltr">{SIMPLE_ACHIEVEMENT["description"]}' in page


def _csrf(web: TestClient) -> str:
    from tests.platform.test_pages import csrf

    return csrf(web.get("/verify", headers=HTML).text)


# ---- the console's achievement form ---------------------------------------------------------


def _console_form(web: TestClient, runtime: Runtime, issuer: IssuerFixture) -> str:
    from tests.platform.test_pages_console import console

    console(web, runtime, issuer, "issuer")
    page = web.get("/console/achievements/new")
    assert page.status_code == 200
    # The part is there, the main text's language preset to the editor's.
    assert 'id="translations"' in page.text
    assert '<option value="en" selected>' in page.text
    return _csrf_of(page.text)


def _csrf_of(page: str) -> str:
    from tests.platform.test_pages import csrf

    return csrf(page)


def test_the_console_form_saves_and_shows_translations(
    web: TestClient, runtime: Runtime, issuer: IssuerFixture
) -> None:
    from tests.platform.test_pages_console import full_form, post_form

    token = _console_form(web, runtime, issuer)
    form = {
        **full_form(token),
        "in_language": "en",
        "tr_lang_0": "de",
        "tr_name_0": "Angewandte Statistik <b>101</b>",
        "tr_description_0": "Beschreibt, testet und modelliert Daten.",
        "tr_outcomes_0": "Wählt einen passenden Test\n\n",
        "tr_lang_1": "fr-ca",
        "tr_name_1": "Statistique appliquée",
    }
    response = post_form(web, "/console/achievements/new", form)
    assert response.status_code == 303, response.text
    achievement_id = response.headers["location"].split("/")[3].split("?")[0]
    from microcred.accounts.actor import SYSTEM

    row = runtime.achievements.get(SYSTEM, issuer.id, achievement_id)
    assert row.definition["inLanguage"] == "en"
    assert row.translations == {
        "de": {
            "name": "Angewandte Statistik <b>101</b>",
            "description": "Beschreibt, testet und modelliert Daten.",
            "learningOutcomes": ["Wählt einen passenden Test"],
        },
        "fr-CA": {"name": "Statistique appliquée"},
    }
    model = runtime.achievements.to_model(row)
    assert model.learning_outcome is not None
    assert model.learning_outcome[0].title_map == {"de": "Wählt einen passenden Test"}
    edit = web.get(f"/console/achievements/{achievement_id}").text
    assert 'value="Angewandte Statistik &lt;b&gt;101&lt;/b&gt;"' in edit  # escaped
    assert 'id="tr_lang_1" name="tr_lang_1" type="text" value="fr-CA"' in edit
    assert 'id="tr_lang_2"' in edit  # one empty block to add another
    # Emptying a block removes that translation.
    token = _csrf_of(edit)
    kept = {**form, "csrf_token": token, "tr_lang_0": "", "tr_name_0": "", "tr_description_0": ""}
    kept["tr_outcomes_0"] = ""
    again = post_form(web, f"/console/achievements/{achievement_id}", kept)
    assert again.status_code == 303, again.text
    row = runtime.achievements.get(SYSTEM, issuer.id, achievement_id)
    assert row.translations == {"fr-CA": {"name": "Statistique appliquée"}}


@pytest.mark.parametrize(
    ("changes", "input_id", "field"),
    [
        ({"tr_lang_0": "klingonish", "tr_name_0": "x"}, "tr_lang_0", "translations.klingonish"),
        ({"tr_lang_0": "", "tr_name_0": "Name ohne Sprache"}, "tr_lang_0", "tr_lang_0"),
        ({"tr_lang_0": "en", "tr_name_0": "Again"}, "tr_lang_0", "translations.en"),
        (
            {"tr_lang_0": "de", "tr_outcomes_0": "a\nb\nc"},
            "tr_outcomes_0",
            "translations.de.learningOutcomes",
        ),
        ({"in_language": "", "tr_lang_0": "de", "tr_name_0": "x"}, "in_language", "inLanguage"),
    ],
    ids=["bad-tag", "no-tag", "default-language", "too-many-outcomes", "no-main-language"],
)
def test_console_errors_point_at_the_translation_input(
    web: TestClient,
    runtime: Runtime,
    issuer: IssuerFixture,
    changes: dict[str, str],
    input_id: str,
    field: str,
) -> None:
    from tests.platform.test_pages_console import full_form, post_form

    token = _console_form(web, runtime, issuer)
    form = {**full_form(token), "in_language": "en", **changes}
    response = post_form(web, "/console/achievements/new", form)
    assert response.status_code == 422, response.text
    assert f'id="{input_id}-error"' in response.text
    assert f'<a href="#{input_id}">{field}</a>' in response.text
    for value in changes.values():
        if value:
            assert value.split("\n")[0] in response.text  # what was typed is kept


# ---- the achievement's public page ----------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "name", "criteria", "criteria_lang"),
    [
        ("de", "Datenanalyse mit Python", TRANSLATIONS["de"]["criteria"], "de"),
        ("fr", "Analyse de données avec Python", ACHIEVEMENT["criteria"]["narrative"], "en"),  # type: ignore[index]
        ("en", "Data Analysis with Python", ACHIEVEMENT["criteria"]["narrative"], "en"),  # type: ignore[index]
    ],
)
def test_the_achievement_page_is_in_the_readers_language_and_programs_get_json(
    web: TestClient,
    translated: dict[str, Any],
    language: str,
    name: str,
    criteria: str,
    criteria_lang: str,
) -> None:
    url = f"/achievements/{translated['id']}"
    page = web.get(url, headers={**HTML, "Accept-Language": language})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f'<h1 lang="{language}" dir="ltr">{name}</h1>' in page.text
    assert f'<p lang="{criteria_lang}" dir="ltr">{criteria}</p>' in page.text
    assert 'href="/issuers/alpha"' in page.text or "/issuers/alpha" in page.text
    for headers in ({}, {"Accept": "application/ld+json"}):
        program = web.get(url, headers=headers)
        assert program.headers["content-type"].startswith("application/ld+json")
        assert program.headers["vary"] == "Accept"
        assert program.json()["nameMap"]["de"] == "Datenanalyse mit Python"
    forced = web.get(f"{url}?format=json", headers=HTML)
    assert forced.json()["id"].endswith(url)


def test_the_achievement_page_escapes_translations(
    web: TestClient, client: TestClient, issuer: IssuerFixture
) -> None:
    answer = create(client, issuer, {"de": {"name": "<script>alert(1)</script>"}})
    assert answer.status_code == 201, answer.text
    page = web.get(
        f"/achievements/{answer.json()['id']}", headers={**HTML, "Accept-Language": "de"}
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)" not in page.text


def test_the_start_page_lists_names_in_the_readers_language(
    web: TestClient, translated: dict[str, Any]
) -> None:
    page = web.get("/", headers={**HTML, "Accept-Language": "es"}).text
    assert "Análisis de datos con Python</li>" in page
    assert '<li lang="es" dir="ltr"><img src="/achievements/' in page


@pytest.mark.parametrize("language", ["de", "ar", "zh-Hant"])
def test_certificate_and_preview_image_render_translations(
    web: TestClient, client: TestClient, issuer: IssuerFixture, language: str
) -> None:
    translations = {**TRANSLATIONS, "zh-Hant": {"name": "使用 Python 進行資料分析"}}
    answer = create(client, issuer, translations)
    assert answer.status_code == 201, answer.text
    issued = issue(client, issuer, answer.json()["id"])
    for suffix, media_type in (("certificate.pdf", "application/pdf"), ("og.png", "image/png")):
        response = web.get(
            f"/credentials/{issued['id']}/{suffix}", headers={"Accept-Language": language}
        )
        assert response.status_code == 200, (suffix, response.text[:200])
        assert response.headers["content-type"].startswith(media_type)
    if language == "de":  # the certificate says it in the reader's language
        pdf = web.get(
            f"/credentials/{issued['id']}/certificate.pdf", headers={"Accept-Language": "de"}
        )
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "Datenanalyse mit Python" in text
