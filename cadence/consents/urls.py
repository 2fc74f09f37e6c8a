from django.urls import path

from . import views

app_name = "consents"

urlpatterns = [
    path("patients/<int:pk>/consents/", views.chart_tab, name="chart"),
    path("patients/<int:pk>/supports/new/", views.support_new, name="support_new"),
    path("supports/<int:pk>/", views.support_edit, name="support_edit"),
    path("patients/<int:pk>/consents/new/", views.consent_new, name="new"),
    path("consents/<int:pk>/", views.consent_detail, name="detail"),
    path("consents/<int:pk>/edit/", views.consent_edit, name="edit"),
    path("consents/<int:pk>/patient-signature/", views.patient_sign, name="patient_sign"),
    path("consents/<int:pk>/scan/", views.upload_scan, name="upload_scan"),
    path("consents/<int:pk>/scan/download/", views.download_scan, name="scan"),
    path("consents/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("consents/<int:pk>/end-event/", views.end_event, name="end_event"),
    path("patients/<int:pk>/release/", views.release, name="release"),
    path("disclosures/<int:pk>/", views.disclosure_packet, name="disclosure"),
    path("patients/<int:pk>/disclosures/", views.accounting, name="accounting"),
]
