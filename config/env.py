"""Every environment variable Betang reads, declared once with its type, default and help."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Var:
    name: str
    default: str | None
    help: str
    secret: bool = False


VARIABLES: dict[str, Var] = {
    v.name: v
    for v in [
        Var("BETANG_ROLE", "central", "central (the provincial server) or outpost (a cooperative's local copy)"),
        Var("BETANG_DEBUG", "false", "true only on a developer's machine"),
        Var("BETANG_VAR_DIR", str(BASE_DIR / "var"), "where the SQLite database, uploads and generated secret live"),
        Var("DATABASE_URL", "", "database URL; empty means SQLite at $BETANG_VAR_DIR/betang.sqlite3"),
        Var(
            "SECRET_KEY",
            "",
            "Django secret key; generated into $BETANG_VAR_DIR/secret_key on first run when empty",
            secret=True,
        ),
        Var(
            "BETANG_PIN_PEPPER",
            "",
            "secret mixed into every card PIN hash, kept apart from the database and from SECRET_KEY (rotating "
            "that must not void every PIN); generated into $BETANG_VAR_DIR/pin_pepper on first run when empty",
            secret=True,
        ),
        Var("BETANG_ALLOWED_HOSTS", "127.0.0.1,localhost", "comma-separated host names the server answers to"),
        Var(
            "BETANG_CSRF_TRUSTED_ORIGINS", "", "comma-separated origins (https://betang.kalteng.go.id) allowed to post"
        ),
        Var("BETANG_TIME_ZONE", "Asia/Jakarta", "time zone pages show (WIB for Kalimantan Tengah)"),
        Var("BETANG_LOGIN_FAILURE_LIMIT", "5", "failed logins from one user and address before a lock-out"),
        Var("BETANG_LOGIN_COOLOFF_MINUTES", "15", "how long a login lock-out lasts"),
        Var(
            "BETANG_PROXY_HOPS",
            "",
            "reverse proxies in front of the server that append to X-Forwarded-For; the client address is what "
            "the outermost one saw (empty: 1 in production, behind nginx; 0 elsewhere)",
        ),
        Var(
            "BETANG_IMPORT_MAX_ROWS",
            "3000000",
            "rows an import file may hold under its header (a province's households fit; a zip bomb does not)",
        ),
        Var("BETANG_IMPORT_MAX_COLUMNS", "256", "columns an import file's rows may fill"),
        Var(
            "BETANG_IMPORT_MAX_UNPACKED_MB",
            "2048",
            "megabytes an XLSX import may unpack to (Excel's 1,048,576 rows of the household template: about 750)",
        ),
        Var(
            "BETANG_IMPORT_MAX_RATIO",
            "100",
            "how many times its size an XLSX import unpacking to more than 16 MB may grow (real workbooks: 5 to 20)",
        ),
        Var(
            "BETANG_EXPORT_TASK_ROWS",
            "20000",
            "rows beyond which an export (households, rejected rows) is made by the task worker with a progress "
            "page and a download link, instead of inside the request",
        ),
        Var("BETANG_SECURE_COOKIES", "true", "production only: cookies sent over HTTPS only"),
        Var("BETANG_HSTS_SECONDS", "31536000", "production only: Strict-Transport-Security max-age"),
    ]
}


def get(name: str) -> str:
    var = VARIABLES[name]
    value = os.environ.get(name)
    if value is None or value == "":
        return var.default or ""
    return value


def get_bool(name: str) -> bool:
    value = get(name).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def get_int(name: str) -> int:
    value = get(name)
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def get_list(name: str) -> list[str]:
    return [part.strip() for part in get(name).split(",") if part.strip()]


def var_dir() -> Path:
    path = Path(get("BETANG_VAR_DIR"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key() -> str:
    """The configured key, or one generated once into var/ (never committed: var/ is ignored)."""
    return _secret("SECRET_KEY", "secret_key")


def pin_pepper() -> str:
    """The configured PIN pepper, or one generated once into var/ like the secret key."""
    return _secret("BETANG_PIN_PEPPER", "pin_pepper")


def _secret(name: str, filename: str) -> str:
    configured = get(name)
    if configured:
        return configured
    path = var_dir() / filename
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race; use its key
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(64))
    return path.read_text().strip()
