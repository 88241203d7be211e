"""URLs of aid (bantuan)."""

from django.urls import path

from betang.aid import views

app_name = "aid"
urlpatterns = [
    path("", views.program_list_view, name="programs"),
    path("program/<slug:code>/", views.program_detail_view, name="program"),
    path("program/<slug:code>/aturan/", views.rule_edit_view, name="rule_edit"),
    path("program/<slug:code>/peserta/", views.enrolment_list_view, name="enrolments"),
    path("program/<slug:code>/peserta/tambah/", views.enrolment_add_view, name="enrolment_add"),
    path("program/<slug:code>/peserta/<uuid:pk>/akhiri/", views.enrolment_end_view, name="enrolment_end"),
    path("program/<slug:code>/siklus/baru/", views.cycle_draft_view, name="cycle_draft"),
    path("program/<slug:code>/siklus/<int:number>/", views.cycle_detail_view, name="cycle"),
    path("program/<slug:code>/siklus/<int:number>/rekonsiliasi/", views.reconciliation_view, name="reconciliation"),
    path("selisih/<uuid:pk>/selesaikan/", views.exception_resolve_view, name="exception_resolve"),
    path("program/<slug:code>/siklus/<int:number>/<slug:action>/", views.cycle_action_view, name="cycle_action"),
    path("program/<slug:code>/kartu/terbitkan/", views.cards_issue_view, name="cards_issue"),
    path("program/<slug:code>/penyaluran/", views.distribution_view, name="distribution"),
    path("anomali/<uuid:pk>/tinjau/", views.anomaly_review_view, name="anomaly_review"),
    path("program/<slug:code>/pembayaran-koperasi/", views.settlement_list_view, name="settlements"),
    path("program/<slug:code>/pembayaran-koperasi/terbitkan/", views.settlements_issue_view, name="settlements_issue"),
    path("program/<slug:code>/rekening-koran/", views.bank_statement_upload_view, name="bank_statement_upload"),
    path("program/<slug:code>/rekening-koran/<uuid:pk>/", views.bank_statement_view, name="bank_statement"),
    path("pembayaran-koperasi/<uuid:pk>/", views.settlement_detail_view, name="settlement"),
    path("pembayaran-koperasi/<uuid:pk>/dibayar/", views.settlement_paid_view, name="settlement_paid"),
    path("pembayaran-koperasi/<uuid:pk>/rekap.<slug:fmt>", views.settlement_file_view, name="settlement_file"),
    path("kartu/", views.card_list_view, name="cards"),
    path("kartu/<uuid:pk>/", views.card_detail_view, name="card"),
    path("kartu/<uuid:pk>/cetak.pdf", views.card_sheet_view, name="card_sheet"),
    path("kartu/<uuid:pk>/<slug:action>/", views.card_action_view, name="card_action"),
]
