"""Validated scalar values shared by the model: IRIs, URLs, numbers, type lists, timestamps.

Each check raises ``PydanticCustomError`` with ``expected`` in its context, so the error
translation in ``_errors`` can fill :class:`~microcred.errors.ModelError` without guessing.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from microcred.errors import short

_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+")
# xsd:dateTime with a mandatory timezone; the year is four digits so fromisoformat can read it.
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_DURATION = re.compile(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?")


def fail(
    message: str, expected: str, *, subfield: str | None = None, found: object = None
) -> PydanticCustomError:
    """The error our validators raise.

    ``subfield`` extends the reported path below the field the validator is attached to (model
    validators see the whole object); ``found`` then names the offending value.
    """
    context: dict[str, str] = {"expected": expected}
    if subfield is not None:
        context["subfield"] = subfield
        context["found"] = "nothing" if found is None else short(found)
    return PydanticCustomError("microcred", message, context)


def _iri(value: Any) -> str:
    if not isinstance(value, str):
        raise fail("not a string", "an absolute IRI")
    if not _IRI.fullmatch(value):
        raise fail("not an absolute IRI", "an absolute IRI (https:, urn:, did:, ...)")
    return value


def _url(value: Any) -> str:
    text = _iri(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise fail("not a web URL", "an http(s) URL with a host")
    return text


def _string(value: Any) -> str:
    # Pydantic's lax str would accept nothing else anyway; this keeps one wording everywhere.
    if not isinstance(value, str):
        raise fail("not a string", "a string")
    return value


def _number(value: Any) -> int | float:
    # bool is an int in Python but not a number in JSON; int and float are kept apart because
    # JSON-LD writes 2 and 2.0 as different RDF literals, which changes what gets signed.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail("not a number", "a JSON number")
    if isinstance(value, float) and not math.isfinite(value):
        raise fail("not a finite number", "a finite JSON number")
    return value


def _types(value: Any) -> str | list[str]:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return value
    raise fail("not a type", "a non-empty string or a non-empty list of strings")


def _date(value: Any) -> str:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise fail("not a date", "a date YYYY-MM-DD")
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise fail("not a calendar date", "a date YYYY-MM-DD") from None
    return value


def _language(value: Any) -> str:
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
        raise fail("not a language tag", "a BCP 47 language tag such as en or pt-BR")
    return value


def _duration(value: Any) -> str:
    if not isinstance(value, str) or not _DURATION.fullmatch(value):
        raise fail("not a duration", "an ISO 8601 duration such as PT60H")
    return value


Iri = Annotated[str, BeforeValidator(_iri)]
"""An absolute IRI (https:, urn:, did:, ...)."""
Url = Annotated[str, BeforeValidator(_url)]
"""An http(s) URL with a host."""
Text = Annotated[str, BeforeValidator(_string)]
Number = Annotated[int | float, BeforeValidator(_number)]
Types = Annotated[str | list[str], BeforeValidator(_types)]
"""A JSON-LD ``type``: one string or a list, kept in the form it was given."""
Date = Annotated[str, BeforeValidator(_date)]
LanguageCode = Annotated[str, BeforeValidator(_language)]
Duration = Annotated[str, BeforeValidator(_duration)]


def type_list(value: str | list[str]) -> tuple[str, ...]:
    """The ``type`` value as a tuple, whichever form it was written in."""
    return (value,) if isinstance(value, str) else tuple(value)


def require_types(value: str | list[str], *required: str, any_of: tuple[str, ...] = ()) -> None:
    """Check that ``type`` contains every name in ``required`` and one of ``any_of``."""
    present = type_list(value)
    for name in required:
        if name not in present:
            raise fail(f"type does not contain {name!r}", f"a type list containing {name!r}")
    if any_of and not any(name in present for name in any_of):
        names = " or ".join(repr(n) for n in any_of)
        raise fail(f"type contains neither {names}", f"a type list containing {names}")


class Timestamp:
    """An ``xsd:dateTime`` with a timezone that remembers how it was written.

    A signature covers the lexical form (``...00Z`` and ``...00.000Z`` are different RDF
    literals), so a parsed credential must serialize back to the exact text it was read from.
    """

    __slots__ = ("_text", "_value")

    def __init__(self, value: datetime) -> None:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a Timestamp needs a timezone-aware datetime")
        self._value = value
        text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
        self._text = text[:-6] + "Z" if text.endswith("+00:00") else text

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        """Read an ``xsd:dateTime``; naive date-times are refused."""
        match = _DATETIME.fullmatch(text)
        if match is None:
            raise fail("not a date-time", "a date-time such as 2024-05-01T09:00:00Z")
        if match.group(2) is None:
            raise fail(
                "date-time has no timezone (naive)",
                "a timezone-aware date-time ending in Z or ±hh:mm",
            )
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise fail("not a valid date-time", "a real calendar date and time") from None
        stamp = cls(value)
        stamp._text = text
        return stamp

    @property
    def value(self) -> datetime:
        """The instant as a timezone-aware datetime."""
        return self._value

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Timestamp({self._text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timestamp) and self._text == other._text

    def __hash__(self) -> int:
        return hash(self._text)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _to_timestamp,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )


def _to_timestamp(value: Any) -> Timestamp:
    if isinstance(value, Timestamp):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise fail("datetime is naive", "a timezone-aware datetime")
        return Timestamp(value)
    if isinstance(value, str):
        return Timestamp.parse(value)
    raise fail("not a date-time", "a date-time string such as 2024-05-01T09:00:00Z")
