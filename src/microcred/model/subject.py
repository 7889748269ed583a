"""OB 3.0 AchievementSubject (the learner) and Result (e.g. the grade achieved)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from microcred.model.achievement import Achievement, Alignment, Image
from microcred.model.base import Node
from microcred.model.identity import IdentityObject
from microcred.model.profile import Profile
from microcred.model.values import Iri, Number, Text, Timestamp, Types, fail, require_types

ResultStatus = Literal[
    "Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew"
]


class Result(Node):
    type: Types = Field(default_factory=lambda: ["Result"])
    achieved_level: Iri | None = None
    alignment: list[Alignment] | None = None
    result_description: Iri | None = None
    status: ResultStatus | None = None
    value: Text | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(value, "Result")
        return value


class AchievementSubject(Node):
    """The learner: an ``id`` (DID or other IRI) or at least one ``identifier``."""

    id: Iri | None = None
    type: Types = Field(default_factory=lambda: ["AchievementSubject"])
    achievement: Achievement
    identifier: list[IdentityObject] | None = None
    activity_start_date: Timestamp | None = None
    activity_end_date: Timestamp | None = None
    credits_earned: Number | None = None
    image: Image | None = None
    license_number: Text | None = None
    narrative: Text | None = None
    result: list[Result] | None = None
    role: Text | None = None
    source: Profile | None = None
    term: Text | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | list[str]) -> str | list[str]:
        require_types(value, "AchievementSubject")
        return value

    @model_validator(mode="after")
    def _identified(self) -> AchievementSubject:
        if self.id is None and not self.identifier:
            raise fail(
                "the learner is not identified",
                "an id (DID or IRI) or a non-empty identifier list",
                subfield="id",
            )
        return self
