"""OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow: a recipient takes a
credential into an external wallet (see docs/design/oid4vci.md)."""
