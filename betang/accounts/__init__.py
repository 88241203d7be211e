"""Users, roles, region scopes, access decisions and machine tokens."""
