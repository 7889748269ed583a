"""Which taxonomy skills an achievement (or a held credential's achievement) names.

An Open Badges 3.0 ``Alignment`` names a skill by its URL (an ESCO concept URI), by its code,
or by its name (``targetName: "Python"`` with ``targetFramework: "O*NET"``); an EU
micro-credential's ``learningOutcome`` names ESCO skills in ``relatedESCOSkill``. Names are
compared after :func:`normalise`, alternative names included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microcred.skills.taxonomy import Taxonomy, normalise


class SkillNames:
    """A taxonomy's skills by URI and by normalised name (built once per taxonomy)."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.ids = set(taxonomy.skills)
        self.by_name: dict[str, set[str]] = {}
        for skill in taxonomy.skills.values():
            for name in (skill.name, *skill.alt_names):
                self.by_name.setdefault(normalise(name), set()).add(skill.id)

    def named(self, value: object) -> set[str]:
        if not isinstance(value, str) or not value.strip():
            return set()
        if value in self.ids:
            return {value}
        return set(self.by_name.get(normalise(value), ()))

    def of_achievement(self, achievement: Mapping[str, Any]) -> frozenset[str]:
        found: set[str] = set()
        alignments = achievement.get("alignment")
        for alignment in alignments if isinstance(alignments, list) else []:
            if not isinstance(alignment, dict):
                continue
            for key in ("targetUrl", "targetCode", "targetName"):
                hits = self.named(alignment.get(key))
                if hits:
                    found |= hits
                    break
        outcomes = achievement.get("learningOutcome")
        for outcome in outcomes if isinstance(outcomes, list) else []:
            related = outcome.get("relatedESCOSkill") if isinstance(outcome, dict) else None
            for uri in related if isinstance(related, list) else [related]:
                found |= self.named(uri)
        return frozenset(found)


def achievement_of_credential(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    """The achievement inside an OpenBadgeCredential (its subject's ``achievement``)."""
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    return achievement if isinstance(achievement, dict) else {}
