"""Bulk import of registry tables: read the file, clean each row, match chunks against the registry, write set-based."""
