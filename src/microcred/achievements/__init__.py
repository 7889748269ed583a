"""Achievements (badge classes): definitions with the EU elements, their images and lifecycle."""
