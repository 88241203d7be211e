"""URLs of regions."""

from django.urls import path

from betang.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.region_browser_view, name="browser"),
    path("cari/", views.village_search_view, name="search"),
    path("muat/", views.regions_load_start_view, name="load"),
    path("<str:code>/", views.region_browser_view, name="detail"),
]
