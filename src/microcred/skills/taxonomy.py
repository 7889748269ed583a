"""The taxonomy as plain values: occupations, skills and the weighted links between them.

Pure (no SQL): the O*NET and ESCO readers produce these, the repository stores them, and the
matcher and planner read them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

ONET = "onet"
ESCO = "esco"

ONET_ATTRIBUTION = (
    "This product includes information from the O*NET Database by the U.S. Department of "
    "Labor, Employment and Training Administration (USDOL/ETA), used under the CC BY 4.0 "
    "licence. USDOL/ETA has not approved, endorsed, or tested these modifications. O*NET is a "
    "trademark of USDOL/ETA."
)
ESCO_ATTRIBUTION = (
    "ESCO (European Skills, Competences, Qualifications and Occupations) is a product of the "
    "European Commission, reused with acknowledgement."
)


@dataclass(frozen=True)
class Occupation:
    id: str
    """``onet:<O*NET-SOC code>`` or the ESCO concept URI."""
    framework: str
    code: str
    title: str
    alt_titles: tuple[str, ...] = ()
    description: str = ""
    job_zone: int | None = None
    """O*NET's preparation level, 1 (little) to 5 (extensive)."""


@dataclass(frozen=True)
class Skill:
    id: str
    """``onet:<normalised name>`` for an O*NET technology skill, or the ESCO concept URI."""
    framework: str
    name: str
    category: str = ""
    """O*NET: the commodity title (``Data base user interface and query software``)."""
    alt_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class OccupationSkill:
    occupation_id: str
    skill_id: str
    hot: bool = False
    """O*NET Hot Technology: frequently named in employers' job postings."""
    in_demand: bool = False
    """O*NET In Demand: among the most requested for this occupation."""
    essential: bool = False
    """ESCO relationType ``essential`` (``optional`` otherwise)."""

    @property
    def weight(self) -> float:
        """How much a missing skill matters: 1, plus 1 for each employer-demand signal."""
        return 1.0 + float(self.hot) + float(self.in_demand) + float(self.essential)


@dataclass
class Taxonomy:
    occupations: dict[str, Occupation] = field(default_factory=dict)
    skills: dict[str, Skill] = field(default_factory=dict)
    links: dict[str, list[OccupationSkill]] = field(default_factory=dict)
    """Occupation id -> its skills."""

    def add_link(self, link: OccupationSkill) -> None:
        self.links.setdefault(link.occupation_id, []).append(link)


_SPACES = re.compile(r"\s+")


def normalise(name: str) -> str:
    """The key two spellings of one skill share: NFKC, case-folded, single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name)).strip().casefold()


def onet_skill_id(name: str) -> str:
    return f"{ONET}:{normalise(name)}"


def onet_occupation_id(code: str) -> str:
    return f"{ONET}:{code}"
