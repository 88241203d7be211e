"""Primitives every app stands on: money, errors, clock, audit trail, task progress."""
