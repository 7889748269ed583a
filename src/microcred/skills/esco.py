"""Reads the official ESCO CSV download (the classification's ``occupations_<lang>.csv``,
``skills_<lang>.csv`` and ``occupationSkillRelations_<lang>.csv``) into a :class:`Taxonomy`.

Columns are found by their header names, so the releases that add columns (v1.2 adds labels
to the relations file) read the same. ``altLabels`` holds one label per line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from microcred.errors import InputError
from microcred.skills.taxonomy import ESCO, Occupation, OccupationSkill, Skill, Taxonomy

OCCUPATION_COLUMNS = ("conceptUri", "preferredLabel")
SKILL_COLUMNS = ("conceptUri", "preferredLabel")
RELATION_COLUMNS = ("occupationUri", "relationType", "skillUri")
MAX_FILE_BYTES = 200 * 1024 * 1024


def _labels(value: str | None) -> tuple[str, ...]:
    return tuple(label.strip() for label in (value or "").splitlines() if label.strip())


def _read(path: Path, required: tuple[str, ...]) -> Iterator[dict[str, str]]:
    if not path.is_file():
        raise InputError("ESCO file missing", expected=f"a file {path.name}", found=str(path))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError("ESCO file too large", expected=f"at most {MAX_FILE_BYTES} bytes")
    text = path.read_bytes().decode("utf-8-sig", errors="strict")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [name for name in required if name not in header]
    if missing:
        raise InputError(
            f"{path.name} is not an ESCO CSV file",
            expected=f"columns {', '.join(required)}",
            found=f"columns {', '.join(header[:12]) or '(none)'}",
        )
    for row in reader:
        yield {key: (value or "") for key, value in row.items() if key is not None}


def read_esco(directory: Path, *, language: str = "en") -> Taxonomy:
    """The occupations, skills and their relations in ``directory``. Relations naming an
    occupation or skill the files do not hold are skipped, not invented."""
    taxonomy = Taxonomy()
    try:
        for row in _read(directory / f"occupations_{language}.csv", OCCUPATION_COLUMNS):
            uri = row["conceptUri"].strip()
            if not uri or row.get("status", "released") not in ("released", ""):
                continue
            taxonomy.occupations[uri] = Occupation(
                id=uri,
                framework=ESCO,
                code=row.get("code", "").strip() or row.get("iscoGroup", "").strip() or uri,
                title=row["preferredLabel"].strip(),
                alt_titles=_labels(row.get("altLabels")) + _labels(row.get("hiddenLabels")),
                description=(row.get("description") or row.get("definition") or "").strip(),
            )
        for row in _read(directory / f"skills_{language}.csv", SKILL_COLUMNS):
            uri = row["conceptUri"].strip()
            if not uri or row.get("status", "released") not in ("released", ""):
                continue
            taxonomy.skills[uri] = Skill(
                id=uri,
                framework=ESCO,
                name=row["preferredLabel"].strip(),
                category=row.get("skillType", "").strip(),
                alt_names=_labels(row.get("altLabels")),
            )
        for row in _read(directory / f"occupationSkillRelations_{language}.csv", RELATION_COLUMNS):
            occupation, skill = row["occupationUri"].strip(), row["skillUri"].strip()
            if occupation in taxonomy.occupations and skill in taxonomy.skills:
                taxonomy.add_link(
                    OccupationSkill(
                        occupation_id=occupation,
                        skill_id=skill,
                        essential=row["relationType"].strip().lower() == "essential",
                    )
                )
    except UnicodeDecodeError as exc:
        raise InputError("ESCO file is not UTF-8", expected="UTF-8 CSV") from exc
    except csv.Error as exc:
        raise InputError("ESCO file is not valid CSV", found=str(exc)) from exc
    return taxonomy
