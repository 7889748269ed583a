"""Learning platforms: award rules fed by xAPI statements and LTI 1.3 launches (see
docs/design/lms.md)."""
