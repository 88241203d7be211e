"""Page guards that ask the user object (accounts decides) whether a capability is held."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def capability_required(*capabilities: str) -> Callable:
    """Log in first; then 403 unless `request.user.has_capability(...)` for one of `capabilities`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(request.user.has_capability(c) for c in capabilities):
                raise PermissionDenied(capabilities[0])
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
