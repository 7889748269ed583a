"""What a client reads before it registers: the service description document (the OpenAPI
3.0 description at ``/ims/ob/v3p0/discovery``, profiled to what this server does: its paths,
its OAuth 2.0 endpoints and scopes, the registration URL in ``x-imssf-registrationUrl``), and
this server's part of the one RFC 8414 authorization server metadata document."""

from __future__ import annotations

from microcred import __version__
from microcred.obapi import scopes
from microcred.obapi.authserver import AUTH_METHOD, GRANT_TYPES
from microcred.types import JsonObject
from microcred.urls import PublicUrls

SECURITY_SCHEME = "OAuth2ACG"
_IMSX_ERRORS = ("400", "401", "403", "404", "405", "500")


def _errors(*, but: tuple[str, ...] = ()) -> JsonObject:
    answers: JsonObject = {
        code: {
            "description": "The request was refused; the body says why.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Imsx_StatusInfo"}}
            },
        }
        for code in _IMSX_ERRORS
        if code not in but
    }
    answers["default"] = answers["400"]
    return answers


def _secured(scope: str) -> list[JsonObject]:
    return [{SECURITY_SCHEME: [scope]}]


def _json(ref: str) -> JsonObject:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _jws_or_json() -> JsonObject:
    return {
        **_json("AchievementCredential"),
        "text/plain": {"schema": {"$ref": "#/components/schemas/CompactJws"}},
    }


def service_description(urls: PublicUrls, *, title: str) -> JsonObject:
    """The document for this server; ``title`` is the name the consent screen shows too."""
    paging = [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "format": "int32", "minimum": 1},
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "format": "int32", "minimum": 0},
        },
        {
            "name": "since",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "format": "date-time"},
        },
    ]
    return {
        "openapi": "3.0.1",
        "info": {
            "title": title,
            "description": "The Open Badges 3.0 API of a microcred server.",
            "version": __version__,
            "termsOfService": f"{urls.base}/terms",
            "x-imssf-privacyPolicyUrl": f"{urls.base}/privacy",
        },
        "servers": [{"url": urls.obapi}],
        "tags": [{"name": "OpenBadgeCredentials"}, {"name": "Discovery"}],
        "paths": {
            "/credentials": {
                "get": {
                    "tags": ["OpenBadgeCredentials"],
                    "operationId": "getCredentials",
                    "parameters": paging,
                    "responses": {
                        "200": {
                            "description": "One page of the learner's credentials.",
                            "headers": {
                                "X-Total-Count": {"$ref": "#/components/headers/X-Total-Count"}
                            },
                            "content": _json("GetOpenBadgeCredentialsResponse"),
                        },
                        **_errors(but=("404",)),
                    },
                    "security": _secured(scopes.CREDENTIAL_READ),
                },
                "post": {
                    "tags": ["OpenBadgeCredentials"],
                    "operationId": "upsertCredential",
                    "requestBody": {"required": True, "content": _jws_or_json()},
                    "responses": {
                        "200": {"description": "Replaced.", "content": _jws_or_json()},
                        "201": {"description": "Added.", "content": _jws_or_json()},
                        **_errors(),
                    },
                    "security": _secured(scopes.CREDENTIAL_UPSERT),
                },
            },
            "/profile": {
                "get": {
                    "tags": ["OpenBadgeCredentials"],
                    "operationId": "getProfile",
                    "responses": {
                        "200": {
                            "description": "The learner's profile.",
                            "content": _json("Profile"),
                        },
                        **_errors(),
                    },
                    "security": _secured(scopes.PROFILE_READ),
                },
                "put": {
                    "tags": ["OpenBadgeCredentials"],
                    "operationId": "putProfile",
                    "requestBody": {"required": True, "content": _json("Profile")},
                    "responses": {
                        "200": {
                            "description": "The profile as stored.",
                            "content": _json("Profile"),
                        },
                        **_errors(),
                    },
                    "security": _secured(scopes.PROFILE_UPDATE),
                },
            },
            "/discovery": {
                "get": {
                    "tags": ["Discovery"],
                    "operationId": "getServiceDescription",
                    "responses": {
                        "200": {
                            "description": "This document.",
                            "content": _json("ServiceDescriptionDocument"),
                        },
                        **_errors(but=("401", "403", "404")),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "oauth2",
                    "description": "OAuth 2.0 Authorization Code Grant authorization",
                    "x-imssf-name": title,
                    "x-imssf-privacyPolicyUrl": f"{urls.base}/privacy",
                    "x-imssf-registrationUrl": urls.obapi_endpoint("oauth/register"),
                    "x-imssf-termsOfServiceUrl": f"{urls.base}/terms",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": urls.obapi_endpoint("oauth/authorize"),
                            "tokenUrl": urls.obapi_endpoint("oauth/token"),
                            "refreshUrl": urls.obapi_endpoint("oauth/token"),
                            "x-imssf-revocationUrl": urls.obapi_endpoint("oauth/revoke"),
                            "scopes": dict(scopes.DESCRIPTIONS),
                        }
                    },
                }
            },
            "headers": {
                "X-Total-Count": {
                    "description": "How many credentials there are in all.",
                    "schema": {"type": "integer", "format": "int32"},
                }
            },
            "schemas": _SCHEMAS,
        },
    }


def authorization_server_metadata(urls: PublicUrls, *, alongside: JsonObject) -> JsonObject:
    """The RFC 8414 document with this server's endpoints added to ``alongside``, the
    OpenID4VCI server's (one issuer, one document at ``/.well-known/oauth-authorization-server``).

    ``issuer`` and ``token_endpoint`` stay as ``alongside`` has them: that token endpoint also
    takes the authorization code and refresh token grants and hands them to this server (the
    service description's ``tokenUrl`` is the same server at the API's own path). Lists are
    united, so each grant and client authentication method is named once."""
    document: JsonObject = dict(alongside)
    ours: JsonObject = {
        "authorization_endpoint": urls.obapi_endpoint("oauth/authorize"),
        "registration_endpoint": urls.obapi_endpoint("oauth/register"),
        "revocation_endpoint": urls.obapi_endpoint("oauth/revoke"),
        "revocation_endpoint_auth_methods_supported": [AUTH_METHOD],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(scopes.SUPPORTED),
        "service_documentation": urls.obapi_endpoint("discovery"),
    }
    for name, value in ours.items():
        document.setdefault(name, value)
    for name, values in (
        ("grant_types_supported", list(GRANT_TYPES)),
        ("token_endpoint_auth_methods_supported", [AUTH_METHOD]),
    ):
        present = alongside.get(name)
        have = list(present) if isinstance(present, list) else []
        document[name] = [*have, *(value for value in values if value not in have)]
    return document


_OPEN_OBJECT: JsonObject = {"type": "object", "additionalProperties": True}
# Shapes the paths name, kept short: the specification's own schemas are the full story.
_SCHEMAS: JsonObject = {
    "AchievementCredential": {
        **_OPEN_OBJECT,
        "required": ["@context", "type", "id", "issuer", "credentialSubject"],
    },
    "CompactJws": {
        "type": "string",
        "pattern": r"^[a-zA-Z0-9_-]+\.[a-zA-Z0-9_-]*\.[a-zA-Z0-9_-]+$",
    },
    "Profile": {**_OPEN_OBJECT, "required": ["id", "type"]},
    "ServiceDescriptionDocument": _OPEN_OBJECT,
    "GetOpenBadgeCredentialsResponse": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "credential": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/AchievementCredential"},
            },
            "compactJwsString": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/CompactJws"},
            },
        },
    },
    "Imsx_StatusInfo": {
        "type": "object",
        "required": ["imsx_codeMajor", "imsx_severity"],
        "properties": {
            "imsx_codeMajor": {"enum": ["failure", "processing", "success", "unsupported"]},
            "imsx_severity": {"enum": ["error", "status", "warning"]},
            "imsx_description": {"type": "string"},
            "imsx_codeMinor": {
                "type": "object",
                "properties": {
                    "imsx_codeMinorField": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "imsx_codeMinorFieldName": {"type": "string"},
                                "imsx_codeMinorFieldValue": {"type": "string"},
                            },
                        },
                    }
                },
            },
        },
    },
}
