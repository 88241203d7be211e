"""URLs of accounts."""

from django.contrib.auth import views as auth_views
from django.urls import path

from betang.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("masuk/", views.LoginView.as_view(), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("akun/kata-sandi/", views.PasswordChangeView.as_view(), name="password_change"),
    path("audit/", views.audit_list_view, name="audit"),
]
