"""Employers' contact requests (an employer's token): ask a learner the search found, and see
one's own requests, with contact details only where the learner accepted. An employer sees its
own requests only; the learner answers on her wallet page (a session, never this API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from microcred.careers.contact import MAX_MESSAGE, EmployersRequest
from microcred.web.api.careers import EmployerDep, SignedInDep
from microcred.web.deps import RuntimeDep

router = APIRouter(prefix="/api/v1/employers", tags=["careers"])


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    learner: str = Field(max_length=40, description="The handle a search result showed.")
    message: str = Field(max_length=MAX_MESSAGE * 2)


def request_json(row: EmployersRequest) -> dict[str, Any]:
    return {
        "id": row.id,
        "learner": row.learner,
        "message": row.message,
        "status": row.status,
        "created": row.created_at.isoformat(),
        "answered": row.answered_at.isoformat() if row.answered_at else None,
        "contact": {"email": row.email, "name": row.name} if row.status == "accepted" else None,
        "asked_by": row.asked_by,
    }


@router.post("/contact-requests", status_code=201)
def ask(body: ContactIn, who: SignedInDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Ask a learner one of your searches found to get in touch (she accepts or declines)."""
    made = runtime.employer_contact.ask(
        who.employer, body.learner, body.message, asked_by=who.staff_name
    )
    return request_json(made)


@router.get("/contact-requests")
def requests(employer: EmployerDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Your requests, newest first; ``contact`` only where the learner accepted."""
    return {"requests": [request_json(r) for r in runtime.employer_contact.requests_of(employer)]}
