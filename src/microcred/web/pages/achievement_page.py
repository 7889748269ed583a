"""The achievement's public page (``/achievements/<id>`` asked for by a browser): its image,
name, description, criteria, skills and EU elements in the reader's language, and who awards it.

The same address keeps serving the OB 3.0 Achievement JSON to programs (content negotiation on
Accept, as for issuers and credentials), so the achievement id in every credential resolves.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from microcred.web.pages.core import get_pages, render
from microcred.web.pages.credential_view import achievement_skills, eu_elements
from microcred.web.pages.reading import achievement_texts, reader_languages


def achievement_page(request: Request, achievement_id: str) -> Response:
    runtime = get_pages(request).runtime
    row = runtime.achievements.get_public(achievement_id)
    document = runtime.achievements.to_json(row)
    texts = achievement_texts(document, reader_languages(request))
    issuer = runtime.issuers.get_public(row.issuer_id)
    response = render(
        request,
        "achievement.html",
        {
            "achievement": row,
            "texts": texts,
            "image_url": runtime.urls.achievement_image(row.id),
            "issuer": issuer,
            "issuer_page": runtime.urls.issuer(issuer.slug),
            "skills": achievement_skills(document),
            "eu": eu_elements(document, texts.learning_outcomes),
            "json_url": f"/achievements/{row.id}?format=json",
        },
    )
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    return response


__all__ = ["achievement_page"]
