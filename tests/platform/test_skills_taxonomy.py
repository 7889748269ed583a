"""The skills taxonomy: bundled O*NET stored on first use, the ESCO importer on a sample in
the published CSV layout, and achievements' alignments mapped to skills."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from microcred.errors import InputError, NotFoundError
from microcred.runtime import Runtime
from microcred.skills import onet
from microcred.skills.esco import read_esco
from microcred.skills.taxonomy import ONET_ATTRIBUTION

ESCO_SAMPLE = Path(__file__).parent.parent / "fixtures" / "esco"
DATA_SCIENTIST = "http://data.europa.eu/esco/occupation/258e46f9-0075-4a2e-adae-1ff0477e0f30"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


def test_onet_readme_and_attribution_ship_with_the_package() -> None:
    text = onet.readme()
    assert "CC BY" in text
    assert "USDOL/ETA" in text
    assert "USDOL/ETA has not approved" in ONET_ATTRIBUTION


def test_onet_is_stored_on_first_use(runtime: Runtime) -> None:
    taxonomy = runtime.skills.taxonomy()
    assert len(taxonomy.occupations) == 1016
    data_scientists = runtime.skills.occupation("15-2051.00")
    assert data_scientists.title == "Data Scientists"
    assert data_scientists.job_zone == 4
    links = {link.skill_id: link for link in taxonomy.links[data_scientists.id]}
    python = links["onet:python"]
    assert python.hot
    assert python.weight >= 2
    assert sum(len(v) for v in taxonomy.links.values()) == 32627
    # Loading again stores nothing twice.
    runtime.skills.ensure_onet()
    assert len(runtime.skills.taxonomy().occupations) == 1016


def test_unknown_occupation_is_not_found(runtime: Runtime) -> None:
    with pytest.raises(NotFoundError, match="no such occupation"):
        runtime.skills.occupation("99-9999.99")


def test_esco_sample_reads_in_the_published_layout() -> None:
    taxonomy = read_esco(ESCO_SAMPLE)
    assert len(taxonomy.occupations) == 3  # the obsolete one is left out
    scientist = taxonomy.occupations[DATA_SCIENTIST]
    assert scientist.code == "2511.4"
    assert "data mining specialist" in scientist.alt_titles
    links = {link.skill_id: link for link in taxonomy.links[DATA_SCIENTIST]}
    assert links[PYTHON].essential
    assert not links[
        "http://data.europa.eu/esco/skill/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
    ].essential
    # The relation to a skill the skills file lacks is skipped, not invented.
    assert sum(len(v) for v in taxonomy.links.values()) == 5
    assert "python programming" in taxonomy.skills[PYTHON].alt_names


def test_esco_import_is_stored_beside_onet_and_replaced_on_reimport(runtime: Runtime) -> None:
    counts = runtime.skills.import_esco(ESCO_SAMPLE)
    assert (counts.occupations, counts.skills, counts.links) == (3, 4, 5)
    assert runtime.skills.occupation(DATA_SCIENTIST).title == "data scientist"
    assert runtime.skills.occupation("15-2051.00").title == "Data Scientists"
    assert len(runtime.skills.taxonomy().occupations) == 1016 + 3
    runtime.skills.import_esco(ESCO_SAMPLE)
    assert len(runtime.skills.taxonomy().occupations) == 1016 + 3


def test_esco_file_with_wrong_columns_is_refused(tmp_path: Path) -> None:
    for name in ("skills_en.csv", "occupationSkillRelations_en.csv"):
        shutil.copy(ESCO_SAMPLE / name, tmp_path / name)
    (tmp_path / "occupations_en.csv").write_text("uri,label\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError, match="not an ESCO CSV file") as caught:
        read_esco(tmp_path)
    assert "conceptUri" in str(caught.value)
    with pytest.raises(InputError, match="ESCO file missing"):
        read_esco(tmp_path / "nowhere")


def test_alignments_name_skills_by_url_code_or_name(runtime: Runtime) -> None:
    runtime.skills.import_esco(ESCO_SAMPLE)
    names = runtime.skills.names()
    achievement = {
        "alignment": [
            {"targetName": "Python (computer programming)", "targetUrl": PYTHON},
            {
                "targetName": "Tableau",
                "targetUrl": "https://www.onetonline.org/",
                "targetFramework": "O*NET",
            },
            {"targetName": "something no taxonomy holds", "targetUrl": "https://example.org/x"},
        ],
        "learningOutcome": [
            {
                "title": "Mine data",
                "relatedESCOSkill": [
                    "http://data.europa.eu/esco/skill/d4b0b3f0-1d11-4b1c-9a2b-6f0c1e2f3a41"
                ],
            }
        ],
    }
    assert names.of_achievement(achievement) == {
        PYTHON,
        "onet:tableau",
        "http://data.europa.eu/esco/skill/d4b0b3f0-1d11-4b1c-9a2b-6f0c1e2f3a41",
    }


def test_suggest_skills_as_the_issuer_types(runtime: Runtime) -> None:
    names = [skill.name for skill in runtime.skills.suggest("pyth")]
    assert names[0] == "Python"
    assert runtime.skills.suggest("p") == []
