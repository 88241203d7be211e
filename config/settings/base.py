"""Base settings, every value from config/env.py."""

from __future__ import annotations

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config import env

BASE_DIR = env.BASE_DIR
VAR_DIR = env.var_dir()

ROLE = env.get("BETANG_ROLE")
if ROLE not in {"central", "outpost"}:
    raise ValueError(f"BETANG_ROLE must be central or outpost, not {ROLE!r}")

DEBUG = env.get_bool("BETANG_DEBUG")
IS_PRODUCTION = False  # production.py sets it; the demo refuses to build there
SECRET_KEY = env.secret_key()
PIN_PEPPER = env.pin_pepper()  # see betang.aid.pins
ALLOWED_HOSTS = env.get_list("BETANG_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.get_list("BETANG_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "ninja",
    "betang.core",
    "betang.web",
    "betang.regions",
    "betang.accounts",
    "betang.registry",
    "betang.ledger",
    "betang.aid",
    "betang.fund",
    "betang.outlets",
    "betang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "betang.web.middleware.LanguageMiddleware",
    # Before anything reads the body (CSRF reads the form): refuses control characters and oversized bodies.
    "betang.web.middleware.InputGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lock-out into its own response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "betang.web.context_processors.navigation",
            ],
        },
    },
]


def _database(url: str) -> dict:
    if not url:
        url = f"sqlite:///{VAR_DIR / 'betang.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=0 if url.startswith("sqlite") else 60)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN,
        # so two writers queue instead of failing half-way; foreign keys are on by Django default.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
        config["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    else:
        config.setdefault("OPTIONS", {})
        # Parameters bound by the server, and a statement run five times on a connection prepared
        # there: the hot paths' statements are planned once, not on every payment (planning took
        # four times as long as running the payment's first query, measured). Behind PgBouncer in
        # transaction mode, prepared statements need PgBouncer 1.21+ with max_prepared_statements.
        config["OPTIONS"].setdefault("server_side_binding", True)
        config["OPTIONS"].setdefault("prepare_threshold", 5)
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database(env.get("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed-login throttling (django-axes): lock the user name from that address after N failures.
AXES_FAILURE_LIMIT = env.get_int("BETANG_LOGIN_FAILURE_LIMIT")
AXES_COOLOFF_TIME = env.get_int("BETANG_LOGIN_COOLOFF_MINUTES") / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The client's address behind reverse proxies (betang.core.http.client_address), for lock-outs and throttles.
PROXY_HOPS = int(env.get("BETANG_PROXY_HOPS") or 0)
AXES_CLIENT_IP_CALLABLE = "betang.core.http.client_address"
AXES_SENSITIVE_PARAMETERS = ["password", "pin"]
AXES_VERBOSE = False

# What one import file may hold (betang.registry.imports.tabular.Limits).
IMPORT_MAX_ROWS = env.get_int("BETANG_IMPORT_MAX_ROWS")
IMPORT_MAX_COLUMNS = env.get_int("BETANG_IMPORT_MAX_COLUMNS")
IMPORT_MAX_UNPACKED_MB = env.get_int("BETANG_IMPORT_MAX_UNPACKED_MB")
IMPORT_MAX_RATIO = env.get_int("BETANG_IMPORT_MAX_RATIO")
EXPORT_TASK_ROWS = env.get_int("BETANG_EXPORT_TASK_ROWS")

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "betang" / "locale"]
USE_I18N = True
TIME_ZONE = env.get("BETANG_TIME_ZONE")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = DEBUG

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    # A NIK, KK or card number in a logged URL or error is masked (first and last four digits kept).
    "filters": {"mask_identifiers": {"()": "betang.core.logfilter.MaskIdentifiers"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_identifiers"]},
        # runserver's request lines: Django's own handler for them (they do not reach the root), masked too
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["mask_identifiers"],
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
