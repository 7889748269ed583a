"""The skills taxonomy as the platform holds it: O*NET loaded from the bundled files on first
use, ESCO imported from its CSV download, read back whole and kept in memory until it changes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from microcred.errors import InputError, NotFoundError, short
from microcred.skills.alignment import SkillNames
from microcred.skills.esco import read_esco
from microcred.skills.onet import onet_taxonomy
from microcred.skills.repository import SkillsRepository
from microcred.skills.taxonomy import ESCO, ONET, Occupation, Skill, Taxonomy, normalise
from microcred.store.db import transaction


@dataclass(frozen=True)
class Imported:
    occupations: int
    skills: int
    links: int


class SkillsService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, int], Taxonomy, SkillNames] | None = None

    def ensure_onet(self) -> None:
        """Store the bundled O*NET taxonomy unless it is there already."""
        with self.sessions() as session:
            if SkillsRepository(session).has_framework(ONET):
                return
        with transaction(self.sessions) as session:
            repo = SkillsRepository(session)
            if not repo.has_framework(ONET):  # another worker may have loaded it meanwhile
                repo.replace(ONET, onet_taxonomy())

    def import_esco(self, directory: Path, *, language: str = "en") -> Imported:
        """Replace the stored ESCO taxonomy with the CSV download in ``directory``."""
        taxonomy = read_esco(directory, language=language)
        if not taxonomy.occupations:
            raise InputError("the ESCO files hold no released occupation", found=str(directory))
        with transaction(self.sessions) as session:
            SkillsRepository(session).replace(ESCO, taxonomy)
        return Imported(
            len(taxonomy.occupations),
            len(taxonomy.skills),
            sum(len(links) for links in taxonomy.links.values()),
        )

    def _current(self) -> tuple[Taxonomy, SkillNames]:
        self.ensure_onet()
        with self.sessions() as session:
            repo = SkillsRepository(session)
            counts = repo.counts()
            with self._lock:
                if self._cached is None or self._cached[0] != counts:
                    taxonomy = repo.load()
                    self._cached = (counts, taxonomy, SkillNames(taxonomy))
                return self._cached[1], self._cached[2]

    def current(self) -> tuple[Taxonomy, SkillNames]:
        """The taxonomy and its names from one freshness check (a caller that needs both)."""
        return self._current()

    def taxonomy(self) -> Taxonomy:
        return self._current()[0]

    def names(self) -> SkillNames:
        return self._current()[1]

    def occupation(self, code: str, taxonomy: Taxonomy | None = None) -> Occupation:
        """By id (``onet:15-2051.00``, an ESCO URI) or code (``15-2051.00``), in ``taxonomy``
        (one the caller has just read) or the current one."""
        taxonomy = self.taxonomy() if taxonomy is None else taxonomy
        found = taxonomy.occupations.get(code) or taxonomy.occupations.get(f"{ONET}:{code}")
        if found is None:
            found = next((o for o in taxonomy.occupations.values() if o.code == code), None)
        if found is None:
            raise NotFoundError(
                "no such occupation",
                expected="an O*NET-SOC code such as 15-2051.00, or an ESCO occupation URI",
                found=short(code),
            )
        return found

    def suggest(self, text: str, *, limit: int = 10) -> list[Skill]:
        """Skills whose name starts with, then contains, what the issuer typed."""
        wanted = normalise(text)
        if len(wanted) < 2:
            return []
        starts: list[Skill] = []
        contains: list[Skill] = []
        for skill in self.taxonomy().skills.values():
            name = normalise(skill.name)
            if name.startswith(wanted):
                starts.append(skill)
            elif wanted in name:
                contains.append(skill)
        ranked = sorted(starts, key=lambda s: (len(s.name), s.name)) + sorted(
            contains, key=lambda s: (len(s.name), s.name)
        )
        return ranked[: max(1, min(limit, 50))]
