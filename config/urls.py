"""URL map: pages per app, the API under /api/v1/, admin, language switch."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from betang.aid import views as aid_views
from betang.web import views as web_views
from config.api import api

urlpatterns = [
    path("", include("betang.accounts.urls")),
    path("wilayah/", include("betang.regions.urls")),
    path("pendataan/", include("betang.registry.urls")),
    path("bantuan/", include("betang.aid.urls")),
    path("saldo/", aid_views.card_balance_view, name="card_balance"),
    path("gerai/", include("betang.outlets.urls")),
    path("dana-bergulir/", include("betang.fund.urls")),
    path("tugas/<str:task_id>/", web_views.task_progress_view, name="web_task_progress"),
    path("unduhan/<uuid:pk>/", web_views.export_download_view, name="web_export_download"),
    path("bahasa/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
