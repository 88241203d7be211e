"""Puts the menu for the signed-in user into every page."""

from betang.web.navigation import menu_for


def navigation(request):
    return {"menu": menu_for(getattr(request, "user", None))}
