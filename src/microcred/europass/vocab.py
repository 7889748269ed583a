"""The Europass concepts an export names: the Commission's where we know their IRIs, ours else.

A ``skos:Concept`` in an EDC carries its scheme (``inScheme``): the ``EDC-generic-full`` shapes
check it for the vocabularies they restrict (EQF, country, language, credential profile...). The
concept IRIs below are the Commission's, as its Annex I sample uses them; where the sample names
none (most assessment types, onsite participation, three of the four supervision cases, the
quality-assurance types, stackability) the concept is one of ours, in a scheme of ours, labelled:
an EDC reader shows the label, and no Europass IRI is invented.
"""

from __future__ import annotations

from microcred.errors import InputError
from microcred.types import JsonObject

SNB = "http://data.europa.eu/snb/"
AUTHORITY = "http://publications.europa.eu/resource/authority/"
OURS = "https://w3id.org/microcred/eu-mc#"

# Europass schemes are named "<base>/25831c2" (as in the Commission's sample and shapes).
EQF_SCHEME = f"{SNB}eqf/25831c2"
CREDIT_SCHEME = f"{SNB}education-credit/25831c2"
PROFILE_SCHEME = f"{SNB}credential/25831c2"
GENERIC_PROFILE = f"{SNB}credential/e34929035b"
LEARNING_ASSESSMENT_SCHEME = f"{SNB}learning-assessment/25831c2"
SUPERVISION_SCHEME = f"{SNB}supervision-verification/25831c2"
ENCODING_SCHEME = f"{SNB}encoding/25831c2"
BASE64 = f"{SNB}encoding/6146cde7dd"
FILE_TYPE_SCHEME = f"{AUTHORITY}file-type"
COUNTRY_SCHEME = f"{AUTHORITY}country"
LANGUAGE_SCHEME = f"{AUTHORITY}language"
ESCO_SKILL = "http://data.europa.eu/esco/skill/"
ESCO_SKILLS_SCHEME = "http://data.europa.eu/esco/concept-scheme/skills"
EDC_SCHEMA = f"{SNB}model/ap/edc-generic-full"

# Participation (elm:mode): the two the sample names are the Commission's.
PARTICIPATION = {
    "online": (f"{SNB}learning-assessment/920fbb3cbe", LEARNING_ASSESSMENT_SCHEME, "Online"),
    "blended": (f"{SNB}learning-assessment/e92d221e4d", LEARNING_ASSESSMENT_SCHEME, "Blended"),
    "onsite": (f"{OURS}participation-onsite", f"{OURS}participation", "On site"),
    "volunteering": (f"{OURS}participation-volunteering", f"{OURS}participation", "Volunteering"),
    "work-experience": (
        f"{OURS}participation-work-experience",
        f"{OURS}participation",
        "Work experience",
    ),
}
SUPERVISION = {
    "unsupervised-no-id-verification": (
        f"{SNB}supervision-verification/c598449d64",
        SUPERVISION_SCHEME,
        "Unsupervised without ID Verification",
    ),
    "supervised-no-id-verification": (
        f"{OURS}supervised-no-id-verification",
        f"{OURS}supervision",
        "Supervised without ID verification",
    ),
    "supervised-online-id-verification": (
        f"{OURS}supervised-online-id-verification",
        f"{OURS}supervision",
        "Supervised with online ID verification",
    ),
    "supervised-onsite-id-verification": (
        f"{OURS}supervised-onsite-id-verification",
        f"{OURS}supervision",
        "Supervised with onsite ID verification",
    ),
}
ASSESSMENT_LABELS = {
    "written-exam": "Written exam",
    "oral-exam": "Oral exam",
    "online-test": "Online test",
    "practical-demonstration": "Practical demonstration",
    "project": "Project",
    "portfolio": "Portfolio",
    "artefact": "Artefact assessment",
    "peer-assessment": "Peer assessment",
    "continuous-assessment": "Continuous assessment",
}
QUALITY_LABELS = {
    "internal": "Internal quality assurance",
    "external": "External quality assurance",
    "accreditation": "Accreditation",
}
STACKABILITY_LABELS = {"stand-alone": "Stand-alone", "stackable": "Stackable"}
NOTE_TOPICS = {
    "quality-assurance": "Type of quality assurance",
    "stackability": "Integration / stackability options",
}

# ISO 3166-1 alpha-2 -> the Publications Office's country authority code (alpha-3 for these):
# the EU and EEA states, candidates and neighbours an EU micro-credential's issuer is likely in.
COUNTRIES = {
    "AT": "AUT", "BE": "BEL", "BG": "BGR", "HR": "HRV", "CY": "CYP", "CZ": "CZE", "DK": "DNK",
    "EE": "EST", "FI": "FIN", "FR": "FRA", "DE": "DEU", "GR": "GRC", "HU": "HUN", "IE": "IRL",
    "IT": "ITA", "LV": "LVA", "LT": "LTU", "LU": "LUX", "MT": "MLT", "NL": "NLD", "PL": "POL",
    "PT": "PRT", "RO": "ROU", "SK": "SVK", "SI": "SVN", "ES": "ESP", "SE": "SWE", "IS": "ISL",
    "LI": "LIE", "NO": "NOR", "CH": "CHE", "GB": "GBR", "AL": "ALB", "BA": "BIH", "ME": "MNE",
    "MK": "MKD", "RS": "SRB", "TR": "TUR", "UA": "UKR", "MD": "MDA", "GE": "GEO", "AD": "AND",
    "MC": "MCO", "SM": "SMR", "VA": "VAT", "US": "USA", "CA": "CAN",
}  # fmt: skip
# BCP 47 primary language -> the language authority's code (EU official languages and a few).
LANGUAGES = {
    "bg": "BUL", "cs": "CES", "da": "DAN", "de": "DEU", "el": "ELL", "en": "ENG", "es": "SPA",
    "et": "EST", "fi": "FIN", "fr": "FRA", "ga": "GLE", "hr": "HRV", "hu": "HUN", "it": "ITA",
    "lt": "LIT", "lv": "LAV", "mt": "MLT", "nl": "NLD", "pl": "POL", "pt": "POR", "ro": "RON",
    "sk": "SLK", "sl": "SLV", "sv": "SWE", "is": "ISL", "no": "NOR", "tr": "TUR", "uk": "UKR",
}  # fmt: skip


def concept(iri: str, scheme: str, label: str, language: str = "en") -> JsonObject:
    return {
        "id": iri,
        "type": "Concept",
        "inScheme": {"id": scheme, "type": "ConceptScheme"},
        "prefLabel": {language: label},
    }


def country(code: str) -> JsonObject:
    """The country concept for an ISO 3166-1 alpha-2 code (refused when not in the table)."""
    alpha3 = COUNTRIES.get(code.upper())
    if alpha3 is None:
        raise InputError(
            "the issuer's country has no Europass country concept here",
            expected="an ISO 3166-1 alpha-2 code of " + ", ".join(sorted(COUNTRIES)),
            found=code,
        )
    return {
        **concept(f"{COUNTRY_SCHEME}/{alpha3}", COUNTRY_SCHEME, code.upper()),
        "notation": "country",
    }


def language(tag: str) -> JsonObject:
    primary = tag.split("-")[0].lower()
    code = LANGUAGES.get(primary)
    if code is None:
        raise InputError(
            "the credential's language has no Europass language concept here",
            expected="one of " + ", ".join(sorted(LANGUAGES)),
            found=tag,
        )
    return {
        **concept(f"{LANGUAGE_SCHEME}/{code}", LANGUAGE_SCHEME, primary),
        "notation": "language",
    }


def ours(kind: str, value: str, label: str) -> JsonObject:
    """One of our controlled values as a concept of our scheme."""
    return concept(f"{OURS}{kind}-{value}", f"{OURS}{kind}", label)
