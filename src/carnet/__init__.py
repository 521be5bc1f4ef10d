"""Carnet: identity documents end to end."""
