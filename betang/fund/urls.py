"""URLs of the revolving fund (dana bergulir)."""

from django.urls import path

from betang.fund import views

app_name = "fund"
urlpatterns = [
    path("", views.fund_home_view, name="home"),
    path("koperasi/", views.cooperative_view, name="cooperative"),
    path("pengajuan/<uuid:pk>/", views.application_detail_view, name="application"),
    path("pengajuan/<uuid:pk>/rencana-usaha/", views.business_plan_view, name="business_plan"),
    path("pengajuan/<uuid:pk>/<slug:action>/", views.application_action_view, name="application_action"),
    path("pinjaman/<uuid:pk>/", views.loan_detail_view, name="loan"),
    path("pinjaman/<uuid:pk>/lampiran.pdf", views.agreement_annex_view, name="annex"),
    path("pinjaman/<uuid:pk>/angsuran/", views.repayment_record_view, name="repayment_record"),
    path("pinjaman/<uuid:pk>/perubahan/", views.loan_change_propose_view, name="change_propose"),
    path("pinjaman/<uuid:pk>/pelunasan/", views.loan_settle_view, name="settle"),
    path("perubahan/<uuid:pk>/<slug:action>/", views.loan_change_decide_view, name="change_decide"),
    path("angsuran/<uuid:pk>/batal/", views.repayment_reverse_view, name="repayment_reverse"),
    path("<slug:code>/", views.fund_view, name="fund"),
    path("<slug:code>/portofolio/", views.portfolio_view, name="portfolio"),
    path("<slug:code>/portofolio/hitung/", views.portfolio_run_view, name="portfolio_run"),
    path("<slug:code>/pengajuan/", views.application_list_view, name="applications"),
    path("<slug:code>/pengajuan/baru/", views.application_new_view, name="application_new"),
    path("<slug:code>/pinjaman/", views.loan_list_view, name="loans"),
    path("<slug:code>/bencana/", views.disaster_view, name="disasters"),
    path("<slug:code>/rekening-koran/", views.bank_statement_upload_view, name="bank_statement_upload"),
    path("<slug:code>/rekening-koran/<uuid:pk>/", views.bank_statement_view, name="bank_statement"),
]
