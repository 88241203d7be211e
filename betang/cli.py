"""The `betang` command: Django's management commands with Betang's settings preselected."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    from django.core.management import execute_from_command_line

    argv = list(argv if argv is not None else sys.argv)
    argv[0] = "betang"
    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
