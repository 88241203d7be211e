"""Production settings: the base plus HTTPS-only cookies and headers (behind nginx)."""

from config import env
from config.settings.base import *  # noqa: F403

DEBUG = False
IS_PRODUCTION = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
PROXY_HOPS = int(env.get("BETANG_PROXY_HOPS") or 1)  # nginx appends the client's address to X-Forwarded-For
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = env.get_bool("BETANG_SECURE_COOKIES")
CSRF_COOKIE_SECURE = env.get_bool("BETANG_SECURE_COOKIES")
SECURE_HSTS_SECONDS = env.get_int("BETANG_HSTS_SECONDS")
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
