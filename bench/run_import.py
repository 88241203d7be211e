"""`python -m bench.run_import FILE`: `betang import households FILE`, then print this process's own
peak resident memory (VmHWM). ru_maxrss would also count the pages of the forking parent."""

import os
import sys


def main(path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("import", "households", path, verbosity=0)
    with open("/proc/self/status") as fh:
        peak = next(line.split()[1] for line in fh if line.startswith("VmHWM:"))
    print(f"PEAK_KIB {peak}")


if __name__ == "__main__":
    main(sys.argv[1])
