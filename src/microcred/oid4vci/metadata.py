"""What a wallet reads before it asks: the credential issuer's metadata and the OAuth 2.0
authorization server's (RFC 8414), both served by this server under its public URL."""

from __future__ import annotations

from microcred.model import OB_V3_CONTEXT, VC_V2_CONTEXT
from microcred.types import JsonObject
from microcred.urls import PublicUrls

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_TYP = "openid4vci-proof+jwt"
# "Ed25519" is the fully specified name for what "EdDSA" meant with an Ed25519 key.
PROOF_ALGORITHMS = ("EdDSA", "Ed25519", "ES256")

# The one thing offered: an Open Badges 3.0 credential secured with Data Integrity
# (eddsa-rdfc-2022), re-issued to the wallet's key (the design note says why).
OPEN_BADGE_LDP_VC = "OpenBadgeCredential_ldp_vc"
CONFIGURATIONS = (OPEN_BADGE_LDP_VC,)


def credential_issuer_metadata(urls: PublicUrls) -> JsonObject:
    return {
        "credential_issuer": urls.base,
        "credential_endpoint": urls.oid4vci_credential,
        "nonce_endpoint": urls.oid4vci_nonce,
        "display": [{"name": urls.hostname, "locale": "en"}],
        "credential_configurations_supported": {
            OPEN_BADGE_LDP_VC: {
                "format": "ldp_vc",
                "credential_definition": {
                    "@context": [VC_V2_CONTEXT, OB_V3_CONTEXT],
                    "type": ["VerifiableCredential", "OpenBadgeCredential"],
                },
                "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
                # The copy names the key as credentialSubject.id: a did:key, whether the proof
                # carried the key as a JWK or named it by a did:key URL.
                "cryptographic_binding_methods_supported": ["did:key", "jwk"],
                "proof_types_supported": {
                    "jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}
                },
                "credential_metadata": {
                    "display": [
                        {
                            "name": "Open Badge",
                            "locale": "en",
                            "description": "An Open Badges 3.0 micro-credential",
                        }
                    ]
                },
            }
        },
    }


def authorization_server_metadata(urls: PublicUrls) -> JsonObject:
    # Only the pre-authorized code grant: no authorization endpoint, so RFC 8414's
    # response_types_supported may be left out (OpenID4VCI 1.0 allows it for such a server).
    return {
        "issuer": urls.base,
        "token_endpoint": urls.oid4vci_token,
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }
