"""Skills and occupations: the bundled O*NET taxonomy, the ESCO CSV importer, and how an
achievement's alignments name skills (see docs/design/careers.md)."""
