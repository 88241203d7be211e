"""URLs of the outlets (gerai)."""

from django.urls import path

from betang.outlets import views

app_name = "outlets"
urlpatterns = [
    path("", views.outlet_home_view, name="home"),
    path("<uuid:outlet>/jual/", views.sale_view, name="sale"),
    path("<uuid:outlet>/jual/rincian/", views.sale_quote_view, name="sale_quote"),
    path("<uuid:outlet>/penjualan/", views.sales_today_view, name="sales_today"),
    path("<uuid:outlet>/tutup-kasir/", views.day_close_view, name="day_close"),
    path("<uuid:outlet>/laporan/", views.report_view, name="report"),
    path("<uuid:outlet>/stok/", views.stock_view, name="stock"),
    path("<uuid:outlet>/stok/<slug:action>/", views.stock_action_view, name="stock_action"),
    path("struk/<uuid:pk>/", views.receipt_view, name="receipt"),
    path("struk/kartu/<str:receipt>/", views.receipt_of_payment_view, name="receipt_of_payment"),
    path("struk/<uuid:pk>/batal/", views.sale_void_view, name="sale_void"),
]
