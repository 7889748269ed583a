"""Every check message the verifier writes, as an English template with ``{name}`` fields.

The templates are the gettext message ids of the pages' catalogues (``web/pages/locale``), so a
page can show a check in the reader's language while the API and CLI keep the English text. A
test holds every template here against every catalogue, placeholders included. Values that go
into the fields (URLs, dates, an error's own detail) are not translated.
"""

from __future__ import annotations

from collections.abc import Callable

# what the input was (``VerificationResult.format`` and READ's field; "VC-JWT" is a name and
# reads the same in every language, so it is no template)
FORMAT_JSON = "JSON credential"
FORMAT_CREDENTIAL = "credential"
FORMAT_OB2 = "Open Badges 2.0 assertion"
FORMAT_OB2_SIGNED = "Open Badges 2.0 signed assertion"
FORMAT_OB2_HOSTED = "Open Badges 2.0 hosted assertion"
FORMAT_BAKED = "{kind} baked in {image}"
FORMAT_EDC = "sealed European Digital Credential"
FORMAT_JWT = "VC-JWT"  # not a template (see above): kept out of templates()

# input, internal
READ = "read {format}"
UNREADABLE = "the input could not be read: {reason}"
UNREADABLE_KIND = "the input could not be read ({error})"
STOPPED = "verification stopped: {error}"
FETCH_FAILED = "could not fetch the URL: {reason}"
QR_NONE = "no QR code was found in the image: take a sharper, closer photo of the code"
QR_UNUSABLE = "the QR code holds {found}, which is neither a web address nor a credential"
QR_UNREADABLE = "the image could not be used: {reason}"

# parse
NOT_READABLE = "the credential could not be read: {reason}"
NOT_VC = "not a Verifiable Credential: its type is {types}"
PLAIN_VC = (
    "a Verifiable Credential, but not an Open Badges 3.0 credential: checked as a plain credential"
)
OB3_INVALID = "not a valid Open Badges 3.0 credential: {reason}"
OB3_OK = "a well-formed Open Badges 3.0 credential"
OB3_OK_VC1 = "a well-formed Open Badges 3.0 credential (VC Data Model 1.1)"

# contexts
CONTEXTS_OK = "every JSON-LD context is a known, pinned copy"
CONTEXTS_UNKNOWN = "unknown JSON-LD context(s) {contexts}: their terms cannot be read offline"

# proof
JWT_OK = "the JWT signature ({alg}) is valid"
PROOF_OK = "the {suite} signature is valid: the credential has not been altered since it was signed"
PROOF_FAILED = "the signature does not verify: {reason}"
PROOFS_OK = (
    "all {count} proofs are valid: the credential has not been altered since they were signed"
)
PROOFS_FAILED = "{failed} of {count} proofs do not verify: {which}"
PROOF_N_OK = "proof {which}: the {suite} signature by {key} is valid"
PROOF_N_FAILED = "proof {which} does not verify: {reason}"

# issuer
ISSUER_NOT_CHECKED = "not checked: the proof did not verify"
ISSUER_OK = "signed with a key of the issuer {issuer}"
ISSUER_OTHER = "the signing key {key} is controlled by {controller}, not by the issuer {issuer}"
ISSUER_UNCONFIRMED = (
    "issuer not confirmed: the signature is valid with the key {key}, which the credential "
    "itself names, but {reason}: nothing shows that the key is the issuer's"
)
ISSUER_UNLISTED = "the signing key {key} is not the issuer's: {reason}"

# the overall outcome (VerificationResult.outcome) when it is neither verified nor not
VERDICT_OK = "verified"
VERDICT_UNCONFIRMED = "signature valid, issuer not confirmed"
VERDICT_BAD = "not verified"

# validity
DATES_UNREADABLE = "the validity dates cannot be read: {reason}"
NOT_YET = "not valid yet: valid from {start}"
EXPIRED = "expired on {end}"
VALID_SINCE = "valid since {start}, with no expiry date"
NO_PERIOD = "no validity period stated"
VALID_BETWEEN = "valid from {start} until {end}"

# status
NO_STATUS = "the issuer published no status list for this credential: it cannot be revoked"
STATUS_UNSUPPORTED = (
    "status cannot be checked: unsupported status type {found} "
    "(expected BitstringStatusListEntry or 1EdTechRevocationList)"
)
STATUS_NO_LIST = "status cannot be checked: the entry names no statusListCredential"
STATUS_OTHER_ISSUER = (
    "status cannot be trusted: the status list is issued by {list_issuer}, "
    "not by the credential's issuer {issuer}"
)
STATUS_LIST_STALE = "status cannot be checked: the status list is not current ({reason})"
STATUS_UNCHECKED = "status cannot be checked: {reason}"
REVOKED = "the issuer has revoked this credential"
SUSPENDED = "the issuer has suspended this credential"
NOT_REVOKED = "not revoked (status list checked)"
NOT_SUSPENDED = "not suspended (status list checked)"
NEITHER = "neither revoked nor suspended (status lists checked)"
STATUS_LIST_KEY_OTHER = (
    "status cannot be trusted: the status list is signed with {key}, "
    "a key its issuer {issuer} does not control"
)
STATUS_VALUE = "the issuer's status for this credential is {value}: {message}"
STATUS_VALUE_UNEXPLAINED = "the issuer's status for this credential is {value}"
REVOKED_BECAUSE = "the issuer has revoked this credential: {reason}"
NOT_REVOKED_UNSIGNED = (
    "not revoked (the issuer's 1EdTech revocation list was checked; that list is not signed)"
)

# relatedResource digests
RELATED_OK = "every related resource matches its digest ({count} checked)"
RELATED_MISMATCH = "the related resource {url} does not match its digest: {reason}"
RELATED_UNCHECKED = "the related resource {url} could not be checked: {reason}"
RELATED_OFFLINE = "related resources were not fetched (offline), so their digests are not checked"

# credentials inside credentials (CLR 2.0, endorsements)
CLR_OK = "a Comprehensive Learner Record (CLR 2.0); credentials it holds: {count}"
CLR_INVALID = "not a usable CLR 2.0 credential: {reason}"
PARTS_OK = "every credential in this record is verified, each on its own ({count} in all)"
PARTS_FAILED = "{failed} of the {count} credentials in this record are not verified ({paths})"
PARTS_UNCONFIRMED = (
    "{failed} of the {count} credentials in this record have a valid signature, "
    "but their issuer is not confirmed ({paths})"
)
ENDORSEMENTS_OK = "every endorsement is verified, each on its own ({count} in all)"
ENDORSEMENTS_FAILED = "{failed} of the {count} endorsements are not verified ({paths})"
ENDORSEMENTS_UNCONFIRMED = (
    "{failed} of the {count} endorsements have a valid signature, "
    "but their endorser could not be confirmed ({paths})"
)
PARTS_TOO_DEEP = "credentials nested {depth} levels deep: the ones inside were not verified"

# European Digital Credentials (Europass), sealed with JAdES
EDC_MALFORMED = "the sealed credential could not be read: {reason}"
EDC_NOT_EDC = "the sealed payload is not a European Digital Credential: its type is {found}"
EDC_PARSED = "a well-formed European Digital Credential (VC Data Model 1.1)"
EDC_SEAL_OK = "the {alg} e-seal of {sealer} is valid for this credential"
EDC_SEAL_BAD = "the e-seal is not valid: {reason}"
EDC_ISSUER_UNCONFIRMED = (
    "sealed with a certificate of {sealer}; whether that certificate is a qualified seal on "
    "the EU trusted lists is not checked here"
)
EDC_SHAPES_OK = "it satisfies the European Commission's EDC shapes (EDC-generic-no-cv and -full)"
EDC_SHAPES_FAILED = (
    "it violates the European Commission's EDC shapes ({count} violations); the first: "
    "{message}, focus node {focus}, path {path}"
)
EDC_SHAPES_VOCABULARY = (
    "it satisfies the EDC shapes, but {count} of its concepts are outside the Europass "
    "vocabularies EDC-generic-full asks for; the first: {first}"
)
EDC_SHAPES_UNREADABLE = "it could not be checked against the EDC shapes: {reason}"
EDC_NO_DATES = "no issuance date to check"
EDC_VALID_SINCE = "valid since {start}"

# Open Badges 2.0
# "could not be checked", offline or with the host not answering: said the same way everywhere.
OB2_OFFLINE = (
    "could not be checked: Open Badges 2.0 verification reads {url} from the web, "
    "and this verifier works offline"
)
OB2_UNREACHABLE = "could not be checked: {url} could not be read ({reason})"
OB2_NO_HOSTED_URL = (
    "the hosted assertion names no URL to read it from (an http(s) id, or verify.url)"
)
OB2_NOT_AT_ID = "not served at its own id: {reason}"
OB2_LACKS = "the assertion lacks {fields}"
OB2_NOT_JWS = "the signed assertion could not be read: {reason}"
OB2_LINKED = "the badge class or its issuer profile could not be read: {reason}"
OB2_OK = "an Open Badges 2.0 assertion"
OB2_SIGNED_AS_JSON = (
    "this assertion is signed, but only its JSON was given: verify the signed text (JWS) "
    "or the badge image"
)
OB2_UNKNOWN_KIND = "unknown verification type {kind} (expected hosted or signed)"
OB2_HOSTED_FOREIGN = (
    "the assertion is hosted on {host}, not on an origin its issuer allows ({origins})"
)
OB2_HOSTED_OK = (
    "hosted verification: served at its own id on the issuer's origin {host} "
    "(Open Badges 2.0 hosted assertions carry no signature)"
)
OB2_ALGORITHM = "unsupported signature algorithm {alg} (Open Badges 2.0 signs with RS256)"
OB2_KEY_UNREADABLE = "the signing key could not be read: {reason}"
OB2_SIGNED_OK = (
    "the RS256 signature is valid with the key {key}: "
    "the assertion has not been altered since it was signed"
)
OB2_SIGNED_BAD = (
    "the signature does not verify with the key {key}: "
    "the assertion was altered, or signed with another key"
)
OB2_KEY_OWNER = "the key {key} belongs to {owner}, not to the issuer {issuer}"
OB2_KEY_UNLISTED = "the issuer profile {issuer} does not list the key {key} among its public keys"
OB2_KEY_OK = "the key {key} belongs to the issuer {issuer}, whose profile lists it"
OB2_NO_EXPIRY = "no expiry date"
OB2_BAD_EXPIRY = "unreadable expiry date {value}"
OB2_VALID_UNTIL = "valid until {end}"
OB2_REVOKED = "the issuer revoked this badge"
OB2_REVOKED_BECAUSE = "the issuer revoked this badge: {reason}"
OB2_HOSTED_NOT_REVOKED = "the hosted assertion is not revoked"
OB2_NO_REVOCATION_LIST = "the issuer publishes no revocation list: this badge cannot be revoked"
OB2_REVOCATION_UNCHECKED = "revocation cannot be checked: {reason}"
OB2_NOT_REVOKED = "not revoked (the issuer's revocation list was checked)"

# transparency log and its anchor (verify/log_check.py)
LOG_NO_BUNDLE = "no transparency-log proof came with it"
LOG_NOT_SHOWN = "not shown to be in the log: {reason}"
LOG_STORE_UNREADABLE = "the log that holds this credential could not be read: {reason}"
LOG_UNREADABLE = "the proof bundle is unreadable ({error})"
LOG_INCLUDED = "issuance is entry {index} of the signed log checkpoint of size {size} (root {root})"
BUNDLE_OTHER_CREDENTIAL = (
    "the proof bundle is for another credential: it names {found}, expected {expected}"
)
BUNDLE_OTHER_SIZE = "the proof is for tree size {found}, but its checkpoint is of size {expected}"
BUNDLE_FIELD = "the proof bundle has no valid {field}: expected {expected}, found {found}"
BUNDLE_PROOF_TOO_LONG = "the inclusion proof has {found} hashes, more than {expected}"
BUNDLE_HASH = "an inclusion proof hash is not base64: {found}"
ANCHOR_NONE = "the log checkpoint carries no anchor"
ANCHOR_UNREADABLE = "the anchor is unreadable: {reason}"
ANCHOR_NOT_CHECKED = (
    "checkpoint {size} is anchored on chain {chain} in transaction {tx} (block {block}, {time}); "
    "not checked (no access to chain {chain} given)"
)
ANCHOR_UNREACHABLE = (
    "checkpoint {size} is anchored on chain {chain} in transaction {tx} (block {block}, {time}); "
    "not checked: {reason}"
)
ANCHOR_UNUSABLE = "the chain gave an unusable answer ({error})"
ANCHOR_FAILED = "the anchor does not hold: {reason}"
ANCHOR_OK = (
    "checkpoint {size} is anchored on chain {chain} in transaction {tx} (block {block}, {time}), "
    "checked on the chain"
)


def templates() -> dict[str, str]:
    """Every template by its constant's name (for the catalogue test)."""
    return {
        name: value
        for name, value in globals().items()
        if name.isupper() and not name.startswith("_") and name != "FORMAT_JWT"
    }


_FORMATS = frozenset(
    {FORMAT_JSON, FORMAT_CREDENTIAL, FORMAT_OB2, FORMAT_OB2_SIGNED, FORMAT_OB2_HOSTED, FORMAT_EDC}
)
_BAKED_SEPARATOR = " baked in "


def baked_format(kind: str, image: str) -> str:
    """The English format of a credential baked into an image ("credential baked in PNG")."""
    return FORMAT_BAKED.format(kind=kind, image=image.upper())


def localised_format(fmt: str, gettext: Callable[[str], str]) -> str:
    """A format as :meth:`Verifier.verify` names it, in the catalogue's language; names it
    does not know (and "VC-JWT") as they are."""
    kind, baked, image = fmt.partition(_BAKED_SEPARATOR)
    if baked:
        try:
            return gettext(FORMAT_BAKED).format(kind=localised_format(kind, gettext), image=image)
        except (KeyError, IndexError, ValueError):  # a broken catalogue entry: English
            return fmt
    return gettext(fmt) if fmt in _FORMATS else fmt
