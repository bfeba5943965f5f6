"""Planted cases: geometry planted before ids are assigned, roles, and the case tables."""
