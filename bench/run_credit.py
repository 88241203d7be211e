"""`python -m bench.run_credit CYCLE_ID`: credit an approved cycle in this process, then print the
seconds, the result and this process's own peak resident memory (VmHWM). The benchmark kills it
mid-way once to show that a rerun credits every household exactly once."""

import json
import os
import sys
import time


def main(cycle_id: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.utils import timezone

    from betang.aid.models import Cycle
    from betang.aid.services.cycles import cycle_credit

    started = time.perf_counter()
    now = timezone.now()
    result = cycle_credit(cycle=Cycle.objects.get(pk=cycle_id), occurred_at=now, recorded_at=now)
    seconds = time.perf_counter() - started
    with open("/proc/self/status") as fh:
        peak = next(line.split()[1] for line in fh if line.startswith("VmHWM:"))
    print("CREDIT " + json.dumps({"seconds": seconds, "peak_kib": int(peak), **result}))


if __name__ == "__main__":
    main(sys.argv[1])
