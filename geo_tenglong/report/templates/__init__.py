"""Jinja2 templates (autoescaped) and print CSS of the reports; a package so they ship in wheels."""
