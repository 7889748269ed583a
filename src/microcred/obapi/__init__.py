"""The 1EdTech Open Badges 3.0 API as a host: a learner's credentials and profile read and
written by the clients the learner authorised, through an OAuth 2.0 server (authorization code
with PKCE S256, dynamic client registration, rotating refresh tokens, revocation).

See docs/design/obapi.md.
"""
