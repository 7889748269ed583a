"""The taxonomy's SQL: read it whole, replace one framework's part of it."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select

from microcred.skills.taxonomy import Occupation, OccupationSkill, Skill, Taxonomy
from microcred.store.repository import Repository
from microcred.store.tables import SkillLinkRow, SkillOccupationRow, SkillRow

_CHUNK = 5000


def _lines(values: tuple[str, ...]) -> str:
    return "\n".join(value.replace("\n", " ") for value in values)


def _split(text: str) -> tuple[str, ...]:
    return tuple(line for line in text.split("\n") if line)


class SkillsRepository(Repository):
    noun = "occupation"

    def counts(self) -> tuple[int, int]:
        """How many occupations and links are stored (changes whenever a framework is loaded)."""
        occupations = self.session.scalar(select(func.count()).select_from(SkillOccupationRow))
        links = self.session.scalar(select(func.count()).select_from(SkillLinkRow))
        return int(occupations or 0), int(links or 0)

    def has_framework(self, framework: str) -> bool:
        query = select(SkillOccupationRow.id).where(SkillOccupationRow.framework == framework)
        return self.session.scalar(query.limit(1)) is not None

    def load(self) -> Taxonomy:
        taxonomy = Taxonomy()
        # Plain rows, not ORM objects: some 40,000 of them are read at once.
        o = SkillOccupationRow
        occupations = select(
            o.id, o.framework, o.code, o.title, o.alt_titles, o.description, o.job_zone
        )
        for id_, framework, code, title, alt, description, zone in self.session.execute(
            occupations
        ):
            taxonomy.occupations[id_] = Occupation(
                id_, framework, code, title, _split(alt), description, zone
            )
        s = SkillRow
        skills = select(s.id, s.framework, s.name, s.category, s.alt_names)
        for id_, framework, name, category, alt in self.session.execute(skills):
            taxonomy.skills[id_] = Skill(id_, framework, name, category, _split(alt))
        links = select(
            SkillLinkRow.occupation_id,
            SkillLinkRow.skill_id,
            SkillLinkRow.hot,
            SkillLinkRow.in_demand,
            SkillLinkRow.essential,
        ).order_by(SkillLinkRow.occupation_id, SkillLinkRow.skill_id)
        for occupation_id, skill_id, hot, in_demand, essential in self.session.execute(links):
            taxonomy.add_link(OccupationSkill(occupation_id, skill_id, hot, in_demand, essential))
        return taxonomy

    def replace(self, framework: str, taxonomy: Taxonomy) -> None:
        """Put ``taxonomy`` in place of what ``framework`` had (in the caller's transaction)."""
        old = select(SkillOccupationRow.id).where(SkillOccupationRow.framework == framework)
        self.session.execute(delete(SkillLinkRow).where(SkillLinkRow.occupation_id.in_(old)))
        self.session.execute(
            delete(SkillOccupationRow).where(SkillOccupationRow.framework == framework)
        )
        self.session.execute(delete(SkillRow).where(SkillRow.framework == framework))
        self._insert(
            SkillOccupationRow,
            [
                {
                    "id": o.id,
                    "framework": o.framework,
                    "code": o.code,
                    "title": o.title[:500],
                    "alt_titles": _lines(o.alt_titles),
                    "description": o.description,
                    "job_zone": o.job_zone,
                }
                for o in taxonomy.occupations.values()
            ],
        )
        self._insert(
            SkillRow,
            [
                {
                    "id": s.id,
                    "framework": s.framework,
                    "name": s.name[:500],
                    "category": s.category[:300],
                    "alt_names": _lines(s.alt_names),
                }
                for s in taxonomy.skills.values()
            ],
        )
        self._insert(
            SkillLinkRow,
            [
                {
                    "occupation_id": link.occupation_id,
                    "skill_id": link.skill_id,
                    "hot": link.hot,
                    "in_demand": link.in_demand,
                    "essential": link.essential,
                }
                for links in taxonomy.links.values()
                for link in links
            ],
        )

    def _insert(
        self,
        table: type[SkillRow | SkillOccupationRow | SkillLinkRow],
        rows: list[dict[str, object]],
    ) -> None:
        for start in range(0, len(rows), _CHUNK):
            self.session.execute(insert(table), rows[start : start + _CHUNK])
