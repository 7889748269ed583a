"""Careers: a learner's goal matched to occupations, the skill gap their verified credentials
leave, and the cheapest sequence of achievements that closes it (docs/design/careers.md)."""
