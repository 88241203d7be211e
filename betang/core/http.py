"""What a request says about its client, read the same way everywhere (throttles, login lock-outs)."""

from __future__ import annotations

from django.conf import settings


def client_address(request) -> str:
    """The client's address. With no reverse proxy in front (`PROXY_HOPS` 0) the socket's peer,
    REMOTE_ADDR. Behind `PROXY_HOPS` proxies that each append the address they saw to
    X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`), the entry the outermost of them
    appended: what a client writes into the header itself stays to its left and is never trusted."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    hops = getattr(settings, "PROXY_HOPS", 0)
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:  # not through the proxies (or a proxy that adds nothing): the peer itself
        return remote
    return forwarded[-hops]
