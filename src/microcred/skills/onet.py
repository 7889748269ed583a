"""Reads the bundled O*NET files (``data/onet``, tab-separated, as published by USDOL/ETA).

``All_Occupations.txt`` gives codes, titles and job zones; ``Technology Skills.txt`` the
occupation -> technology skill rows with their Hot Technology / In Demand flags;
``Occupation Data.txt`` (an older release) descriptions where its code still matches.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from pathlib import Path

from microcred.skills.taxonomy import (
    ONET,
    Occupation,
    OccupationSkill,
    Skill,
    Taxonomy,
    onet_occupation_id,
    onet_skill_id,
)

DATA = Path(str(resources.files("microcred.skills"))) / "data" / "onet"


def readme() -> str:
    """The data's README: its source and the attribution CC BY 4.0 asks for."""
    return (DATA / "README.md").read_text(encoding="utf-8")


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@cache
def onet_taxonomy() -> Taxonomy:
    """The whole bundled O*NET taxonomy (parsed once per process)."""
    descriptions = {
        row["O*NET-SOC Code"]: row["Description"] for row in _rows("Occupation Data.txt")
    }
    taxonomy = Taxonomy()
    for row in _rows("All_Occupations.txt"):
        code = row["Code"].strip()
        zone = row["Job Zone"].strip()
        taxonomy.occupations[onet_occupation_id(code)] = Occupation(
            id=onet_occupation_id(code),
            framework=ONET,
            code=code,
            title=row["Occupation"].strip(),
            description=descriptions.get(code, ""),
            job_zone=int(zone) if zone.isdigit() else None,
        )
    seen: set[tuple[str, str]] = set()
    for row in _rows("Technology Skills.txt"):
        name = row["Example"].strip()
        skill_id = onet_skill_id(name)
        occupation_id = onet_occupation_id(row["O*NET-SOC Code"].strip())
        if occupation_id not in taxonomy.occupations or (occupation_id, skill_id) in seen:
            continue
        seen.add((occupation_id, skill_id))
        taxonomy.skills.setdefault(
            skill_id,
            Skill(id=skill_id, framework=ONET, name=name, category=row["Commodity Title"].strip()),
        )
        taxonomy.add_link(
            OccupationSkill(
                occupation_id=occupation_id,
                skill_id=skill_id,
                hot=row["Hot Technology"].strip() == "Y",
                in_demand=row["In Demand"].strip() == "Y",
            )
        )
    return taxonomy
