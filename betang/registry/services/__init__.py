"""Writes to the registry, by sub-domain: imports, single rows, duplicates, staff, organisations, exports."""
