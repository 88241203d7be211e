"""Forms of the accounts pages."""

from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "Wrong user name or password. After several failed attempts the login is locked for a while."
        ),
        "inactive": _("This account is inactive."),
    }
