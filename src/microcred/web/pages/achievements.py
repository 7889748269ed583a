"""The achievement editor: list, create and edit every field, upload the badge image.

The form maps to the achievement's OB 3.0 JSON (plus the EU micro-credential elements). On
edit, fields the form does not show (resultDescription, humanCode, ...) are kept as they were.
Errors are the model's own ``ModelError``s; the page shows each next to the input it names.

The badge image is uploaded, or drawn by the badge designer (:mod:`microcred.achievements.
designer`) from the parameters the form posts. Its preview is an image the server draws from
them too: live as the issuer changes them (a small script swaps the image's address), or with
the form's "Preview" button, which shows the page again with everything as typed, saving
nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from microcred.accounts.actor import Actor
from microcred.achievements.designer import (
    INPUTS as DESIGN_INPUTS,
)
from microcred.achievements.designer import (
    SHAPES,
    BadgeDesign,
    contrast,
    icon_thumbnail,
    parse_design,
    render_svg,
    shape_thumbnail,
)
from microcred.achievements.icons import ICONS
from microcred.achievements.images import MAX_IMAGE_BYTES, check_badge_image
from microcred.achievements.service import MAX_VALIDITY_MONTHS
from microcred.errors import (
    InputError,
    MicrocredError,
    ModelError,
    NotFoundError,
    PageNotFoundError,
)
from microcred.model.achievement import ACHIEVEMENT_TYPES
from microcred.model.eu import (
    ECTS_IRI,
    AssessmentSupervision,
    AssessmentType,
    ParticipationForm,
    QualityAssurance,
    Stackability,
)
from microcred.store.tables import AchievementRow
from microcred.web.pages import achievement_translations as translations_part
from microcred.web.pages.core import csrf, get_pages, language_of, render, require

router = APIRouter(prefix="/console/achievements", include_in_schema=False)

Viewer = Annotated[Actor, Depends(require("viewer"))]
Issuer = Annotated[Actor, Depends(require("issuer"))]
# The editor has up to 20 alignment rows, 8 translation blocks, the badge designer and an image.
EDITOR_MAX_FIELDS = 260
EditorCsrf = csrf(
    max_fields=EDITOR_MAX_FIELDS, max_bytes=MAX_IMAGE_BYTES + 256 * 1024, signed_in=True
)

EQF_BASE = "http://data.europa.eu/snb/eqf/"
MAX_ALIGNMENTS = 20
_HOURS = re.compile(r"^PT(\d+)H$")
# The designed preview is our own drawing, but it is shown like any badge: nothing runs.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
BADGE_SOURCES = ("keep", "upload", "design")
LOW_CONTRAST = 4.5  # WCAG AA for text; below it the designer warns

# The JSON fields this form owns; on edit every other field of the definition is kept.
FORM_FIELDS = (
    "name",
    "description",
    "criteria",
    "achievementType",
    "tag",
    "creditsAvailable",
    "creditSystem",
    "volumeOfLearning",
    "alignment",
    "learningOutcome",
    "eqfLevel",
    "assessmentType",
    "participationForm",
    "qualityAssurance",
    "accreditation",
    "prerequisites",
    "assessmentSupervision",
    "stackability",
    "furtherInformation",
)
# JSON field -> the input that holds it (for errors shown next to that input).
INPUT_FOR = {
    "name": "name",
    "description": "description",
    "criteria": "criteria",
    "achievementType": "achievement_type",
    "tag": "tags",
    "creditsAvailable": "credits",
    "creditSystem": "credit_system",
    "volumeOfLearning": "hours",
    "alignment": "alignment_name_0",
    "learningOutcome": "learning_outcomes",
    "eqfLevel": "eqf_level",
    "assessmentType": "assessment_type",
    "participationForm": "participation_form",
    "qualityAssurance": "quality_assurance",
    "accreditation": "accreditation",
    "prerequisites": "prerequisites",
    "assessmentSupervision": "supervision",
    "stackability": "stackability",
    "furtherInformation": "further_information",
    "validityMonths": "validity_months",
    "image": "image",
}
CHOICES = {
    "achievement_types": sorted(ACHIEVEMENT_TYPES),
    "assessment_types": [v.value for v in AssessmentType],
    "participation_forms": [v.value for v in ParticipationForm],
    "quality_assurance": [v.value for v in QualityAssurance],
    "supervision": [v.value for v in AssessmentSupervision],
    "stackability": [v.value for v in Stackability],
    "eqf_levels": list(range(1, 9)),
}


@dataclass
class Values:
    """What the form shows: strings and lists, as typed (so a failed save loses nothing)."""

    text: dict[str, str] = field(default_factory=dict)
    multi: dict[str, list[str]] = field(default_factory=dict)
    alignments: list[dict[str, str]] = field(default_factory=list)
    badge: dict[str, str] = field(default_factory=dict)
    """The badge designer's parameters, keyed as :class:`BadgeDesign`, as typed."""
    badge_source: str = "keep"
    """keep (the current image), upload (a file) or design (draw it from ``badge``)."""

    def rows(self) -> list[dict[str, str]]:
        """The alignment rows to show: the filled ones and at least two empty ones."""
        filled = [a for a in self.alignments if any(a.values())]
        return [*filled, {}, {}, {}][: max(3, min(MAX_ALIGNMENTS, len(filled) + 2))]


@dataclass(frozen=True)
class FieldError:
    input: str  # the id of the input it belongs to
    field: str  # the JSON field, as the model names it
    message: str
    expected: str | None
    found: str | None


# ---- routes --------------------------------------------------------------------------------------


@router.get("")
def achievement_list(request: Request, actor: Viewer) -> Response:
    runtime = get_pages(request).runtime
    rows = runtime.achievements.list(actor, _issuer(actor), include_archived=True, limit=200)
    return render(
        request,
        "console/achievements.html",
        {"achievements": rows, "done": request.query_params.get("done")},
    )


@router.get("/new")
def new_form(request: Request, actor: Issuer) -> Response:
    texts = translations_part.new_form(language_of(request))
    return _form(
        request,
        None,
        Values(text={"validity_months": ""}, badge=default_badge("")),
        texts=texts,
    )


@router.post("/new", dependencies=[EditorCsrf])
async def create(request: Request, actor: Issuer) -> Response:
    form = await request.form()
    values = values_from_form(form)
    texts = translations_part.from_form(form)
    runtime = get_pages(request).runtime
    if form.get("action") == "preview_badge":
        await form.close()
        return _form(request, None, values, previewing=True, texts=texts)
    try:
        design = design_from(values)
        image = None if design else await _image(form)
        definition, months = definition_from(values, {})
        translations = translations_part.apply(definition, texts)
        row = runtime.achievements.create(
            actor,
            _issuer(actor),
            definition,
            validity_months=months,
            image=image,
            design=design,
            translations=translations,
        )
    except MicrocredError as error:
        return _form(request, None, values, error, status_code=422, texts=texts)
    finally:
        await form.close()
    return RedirectResponse(f"/console/achievements/{row.id}?done=created", 303)


@router.get("/badge-preview.svg")
def badge_preview(request: Request, actor: Issuer) -> Response:
    """The designed badge for the parameters in the query, drawn as it would be stored."""
    wanted = {key: request.query_params.get(key, "") for key in DESIGN_INPUTS}
    try:
        svg = render_svg(parse_design(wanted))
    except ModelError as error:
        return Response(
            f"{error.message}: expected {error.expected}, found {error.found}",
            status_code=422,
            media_type="text/plain",
        )
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": PREVIEW_CSP, "Cache-Control": "private, max-age=300"},
    )


@router.get("/{achievement_id}")
def edit_form(request: Request, achievement_id: str, actor: Issuer) -> Response:
    row = _get(request, actor, achievement_id)
    done = request.query_params.get("done")
    texts = translations_part.from_row(row)
    return _form(request, row, values_from_definition(row), done=done, texts=texts)


@router.post("/{achievement_id}", dependencies=[EditorCsrf])
async def update(request: Request, achievement_id: str, actor: Issuer) -> Response:
    row = _get(request, actor, achievement_id)
    form = await request.form()
    values = values_from_form(form)
    texts = translations_part.from_form(form)
    runtime = get_pages(request).runtime
    if form.get("action") == "preview_badge":
        await form.close()
        return _form(request, row, values, previewing=True, texts=texts)
    try:
        design = design_from(values)
        image = None if design else await _image(form)
        definition, months = definition_from(values, row.definition)
        translations = translations_part.apply(definition, texts)
        runtime.achievements.update(
            actor,
            _issuer(actor),
            achievement_id,
            data=definition,
            validity_months=months,
            image=image,
            design=design,
            archived=form.get("archived") == "on",
            translations=translations,
        )
    except MicrocredError as error:
        return _form(request, row, values, error, status_code=422, texts=texts)
    finally:
        await form.close()
    return RedirectResponse(f"/console/achievements/{achievement_id}?done=saved", 303)


def _get(request: Request, actor: Actor, achievement_id: str) -> AchievementRow:
    try:
        return get_pages(request).runtime.achievements.get(actor, _issuer(actor), achievement_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error


def _form(
    request: Request,
    row: AchievementRow | None,
    values: Values,
    error: MicrocredError | None = None,
    *,
    status_code: int = 200,
    done: str | None = None,
    previewing: bool = False,
    texts: translations_part.TranslationForm | None = None,
) -> Response:
    texts = texts or translations_part.TranslationForm()
    problem = field_error(error) if error else None
    return render(
        request,
        "console/achievement_form.html",
        {
            "row": row,
            "v": values.text,
            "multi": values.multi,
            "alignments": values.rows(),
            "choices": CHOICES,
            "problem": translations_part.locate(problem, texts) if problem else None,
            "texts": texts,
            "max_months": MAX_VALIDITY_MONTHS,
            "done": done,
            "designer": designer_context(values, row, previewing=previewing),
        },
        status_code=status_code,
    )


def designer_context(
    values: Values, row: AchievementRow | None, *, previewing: bool
) -> dict[str, Any]:
    """What the badge designer partial shows: the parameters, the pickers' drawings (our own
    markup), the preview's address and a warning when the text is hard to read."""
    badge = values.badge
    try:
        design: BadgeDesign | None = parse_design(badge)
    except ModelError:
        design = None  # the error is shown next to its input on save; no preview meanwhile
    ratio = contrast(design.text_colour, design.background) if design else None
    return {
        "badge": badge,
        "source": values.badge_source,
        "has_image": row is not None,
        "previewing": previewing,
        "preview_url": "/console/achievements/badge-preview.svg?" + urlencode(badge)
        if design
        else None,
        "shapes": [(name, shape_thumbnail(name)) for name in SHAPES],
        "icons": [(name, icon_thumbnail(name)) for name in ICONS],
        "contrast": round(ratio, 1) if ratio is not None and ratio < LOW_CONTRAST else None,
    }


def design_from(values: Values) -> BadgeDesign | None:
    """The design to draw the badge from, when the issuer chose to design it."""
    if values.badge_source != "design":
        return None
    try:
        return parse_design(values.badge)
    except ModelError as error:
        raise ModelError(
            error.message.removeprefix(f"{error.field}: "),
            field=f"badge.{error.field}",
            expected=error.expected,
            found=error.found,
        ) from error


async def _image(form: FormData) -> bytes | None:
    upload = form.get("image")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(MAX_IMAGE_BYTES + 1)
    try:
        check_badge_image(data)  # the service checks again; here the error names the field
    except InputError as error:
        raise ModelError(
            error.message, field="image", expected=error.expected, found=error.found
        ) from error
    return data


def _issuer(actor: Actor) -> str:
    assert actor.issuer_id is not None  # staff always belong to one issuer
    return actor.issuer_id


# ---- form <-> JSON -------------------------------------------------------------------------------

_TEXT_INPUTS = (
    "name",
    "description",
    "criteria",
    "criteria_url",
    "achievement_type",
    "tags",
    "credits",
    "credit_system",
    "hours",
    "learning_outcomes",
    "eqf_level",
    "participation_form",
    "accreditation",
    "prerequisites",
    "supervision",
    "stackability",
    "further_information",
    "validity_months",
)


def values_from_form(form: FormData) -> Values:
    text = {name: str(form.get(name) or "").strip() for name in _TEXT_INPUTS}
    multi = {
        name: [str(v) for v in form.getlist(name) if isinstance(v, str)][:20]
        for name in ("assessment_type", "quality_assurance")
    }
    alignments = []
    for i in range(MAX_ALIGNMENTS):
        row = {
            k: str(form.get(f"alignment_{k}_{i}") or "").strip()
            for k in ("name", "url", "framework", "code")
        }
        alignments.append(row)
    badge = {key: str(form.get(name) or "")[:200] for key, name in DESIGN_INPUTS.items()}
    if "badge_shape" not in form:  # a form from before the designer, or a script's
        badge = default_badge(text["name"])
    source = str(form.get("badge_source") or "keep")
    return Values(text, multi, alignments, badge, source if source in BADGE_SOURCES else "keep")


def values_from_definition(row: AchievementRow) -> Values:
    d = row.definition
    criteria = d.get("criteria") or {}
    hours = _HOURS.match(str(d.get("volumeOfLearning") or ""))
    eqf = str(d.get("eqfLevel") or "")
    text = {
        "name": str(d.get("name") or ""),
        "description": str(d.get("description") or ""),
        "criteria": str(criteria.get("narrative") or ""),
        "criteria_url": str(criteria.get("id") or ""),
        "achievement_type": str(d.get("achievementType") or ""),
        "tags": ", ".join(str(t) for t in d.get("tag") or []),
        "credits": "" if d.get("creditsAvailable") is None else str(d["creditsAvailable"]),
        "credit_system": "ects" if d.get("creditSystem") == ECTS_IRI else "",
        "hours": hours.group(1) if hours else "",
        "learning_outcomes": "\n".join(
            str(o.get("title") or "") for o in d.get("learningOutcome") or [] if isinstance(o, dict)
        ),
        "eqf_level": eqf.removeprefix(EQF_BASE) if eqf.startswith(EQF_BASE) else "",
        "participation_form": str(d.get("participationForm") or ""),
        "accreditation": str(d.get("accreditation") or ""),
        "prerequisites": str(d.get("prerequisites") or ""),
        "supervision": str(d.get("assessmentSupervision") or ""),
        "stackability": str(d.get("stackability") or ""),
        "further_information": str(d.get("furtherInformation") or ""),
        "validity_months": "" if row.validity_months is None else str(row.validity_months),
    }
    multi = {
        "assessment_type": [str(v) for v in d.get("assessmentType") or []],
        "quality_assurance": [str(v) for v in d.get("qualityAssurance") or []],
    }
    alignments = [
        {
            "name": str(a.get("targetName") or ""),
            "url": str(a.get("targetUrl") or ""),
            "framework": str(a.get("targetFramework") or ""),
            "code": str(a.get("targetCode") or ""),
        }
        for a in d.get("alignment") or []
        if isinstance(a, dict)
    ]
    stored = row.badge_design or {}
    badge = {key: str(stored.get(key, "")) for key in DESIGN_INPUTS} if stored else {}
    return Values(text, multi, alignments, badge or default_badge(text["name"]))


def default_badge(name: str) -> dict[str, str]:
    """The designer's starting point: the default design with the achievement's name."""
    start = BadgeDesign().to_json()
    start["line1"] = name if len(name) <= 30 else ""
    return start


def definition_from(values: Values, existing: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """The achievement JSON and validity months the form describes. Raises ModelError for
    input that cannot even be put into JSON (a number that is not one); the model checks the
    rest when the service parses the definition."""
    v = values.text
    for name in ("name", "description"):  # the model allows "", a badge page should not
        if not v[name]:
            raise ModelError("is required", field=name, expected="some text", found="nothing")
    data: dict[str, Any] = {k: val for k, val in existing.items() if k not in FORM_FIELDS}
    data["name"] = v["name"]
    data["description"] = v["description"]
    criteria: dict[str, Any] = {}
    if v["criteria"]:
        criteria["narrative"] = v["criteria"]
    if v["criteria_url"]:
        criteria["id"] = v["criteria_url"]
    data["criteria"] = criteria
    _put(data, "achievementType", v["achievement_type"] or None)
    tags = [t.strip() for t in v["tags"].split(",") if t.strip()]
    _put(data, "tag", tags or None)
    _put(data, "creditsAvailable", _number(v["credits"], "creditsAvailable"))
    _put(data, "creditSystem", ECTS_IRI if v["credit_system"] == "ects" else None)
    hours = _number(v["hours"], "volumeOfLearning", whole=True)
    _put(data, "volumeOfLearning", f"PT{hours}H" if hours is not None else None)
    alignments = [
        {
            "type": ["Alignment"],
            "targetName": a["name"],
            "targetUrl": a["url"],
            **({"targetFramework": a["framework"]} if a["framework"] else {}),
            **({"targetCode": a["code"]} if a.get("code") else {}),
        }
        for a in values.alignments
        if any(a.values())
    ]
    _put(data, "alignment", alignments or None)
    outcomes = [line.strip() for line in v["learning_outcomes"].splitlines() if line.strip()]
    _put(
        data,
        "learningOutcome",
        [{"type": "LearningOutcome", "title": o} for o in outcomes] or None,
    )
    _put(data, "eqfLevel", f"{EQF_BASE}{v['eqf_level']}" if v["eqf_level"] else None)
    _put(data, "assessmentType", values.multi.get("assessment_type") or None)
    _put(data, "participationForm", v["participation_form"] or None)
    _put(data, "qualityAssurance", values.multi.get("quality_assurance") or None)
    _put(data, "accreditation", v["accreditation"] or None)
    _put(data, "prerequisites", v["prerequisites"] or None)
    _put(data, "assessmentSupervision", v["supervision"] or None)
    _put(data, "stackability", v["stackability"] or None)
    _put(data, "furtherInformation", v["further_information"] or None)
    months = _number(v["validity_months"], "validityMonths", whole=True)
    return data, months  # type: ignore[return-value]  # whole=True gives an int


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        data[key] = value


def _number(text: str, field_name: str, *, whole: bool = False) -> int | float | None:
    if not text:
        return None
    try:
        number: int | float = (
            int(text) if whole or text.isdigit() else float(text.replace(",", "."))
        )
    except ValueError:
        raise ModelError(
            "not a number",
            field=field_name,
            expected="a whole number" if whole else "a number such as 5 or 2.5",
            found=text[:40],
        ) from None
    if number < 0 or number != number:  # negative, or NaN
        raise ModelError(
            "must not be negative", field=field_name, expected="0 or more", found=text[:40]
        )
    return number


def field_error(error: MicrocredError) -> FieldError:
    """Which input the error belongs to: the model's dotted path, mapped to the form."""
    path = error.field if isinstance(error, ModelError) else ""
    if not path and "validityMonths" in error.message:
        path = "validityMonths"
    top = re.split(r"[.\[]", path, maxsplit=1)[0]
    target = INPUT_FOR.get(top, "")
    if path.startswith("badge."):
        target = DESIGN_INPUTS.get(path.removeprefix("badge."), "")
    match = re.match(r"alignment\[(\d+)\]\.(\w+)", path)
    if match:
        kind = {"targetUrl": "url", "targetFramework": "framework", "targetCode": "code"}.get(
            match.group(2), "name"
        )
        target = f"alignment_{kind}_{match.group(1)}"
    message = error.message.removeprefix(f"{path}: ") if path else error.message
    return FieldError(target, path or "", message, error.expected, error.found)
