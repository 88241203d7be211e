"""gunicorn's logger for `betang serve`: its access and error lines with long numbers masked (core.logfilter)."""

from __future__ import annotations

from gunicorn.glogging import Logger

from betang.core.logfilter import MaskIdentifiers


class MaskingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, MaskIdentifiers) for f in log.filters):
                log.addFilter(MaskIdentifiers())
