"""URLs of the registry (pendataan)."""

from django.urls import path

from betang.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.registry_home_view, name="home"),
    path("rumah-tangga/", views.household_list_view, name="households"),
    path("rumah-tangga/<uuid:pk>/", views.household_detail_view, name="household_detail"),
    path("orang/<uuid:pk>/nik/", views.person_full_nik_view, name="person_full_nik"),
    path("impor/", views.import_list_view, name="imports"),
    path("impor/templat/<str:kind>.xlsx", views.import_template_view, name="import_template"),
    path("impor/<uuid:pk>/", views.import_detail_view, name="import_detail"),
    path("impor/<uuid:pk>/ditolak.xlsx", views.import_rejects_view, name="import_rejects"),
    path("duplikat/", views.duplicate_list_view, name="duplicates"),
    path("duplikat/<int:pk>/", views.duplicate_decide_view, name="duplicate_decide"),
    path("<str:kind>/", views.org_list_view, name="orgs"),
    path("<str:kind>/<uuid:pk>/", views.org_detail_view, name="org_detail"),
]
