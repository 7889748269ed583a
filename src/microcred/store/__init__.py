"""Persistence: SQLAlchemy tables, repositories implementing the domain's ports, migrations."""
