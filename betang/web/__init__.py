"""UI kit: base layout, navigation per role, vendored assets, shared page helpers."""
