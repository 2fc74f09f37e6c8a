from django.urls import path

from . import views, views_edit, views_living, views_templates

app_name = "plans"

urlpatterns = [
    # Reading
    path("patients/<int:pk>/plans/", views.chart_tab, name="chart"),
    path("plans/<int:pk>/", views.detail, name="detail"),
    path("plans/<int:pk>/print/", views.print_plan, name="print"),
    # Writing a treatment plan
    path("plans/episodes/<int:episode_pk>/start/", views_edit.start, name="start"),
    path("plans/<int:pk>/edit/", views_edit.edit, name="edit"),
    path("plans/<int:pk>/items/<str:level>/add/", views_edit.item_add, name="item_add"),
    path(
        "plans/<int:pk>/items/<str:level>/<int:item_pk>/",
        views_edit.item_edit,
        name="item_edit",
    ),
    path(
        "plans/<int:pk>/items/<str:level>/<int:item_pk>/delete/",
        views_edit.item_delete,
        name="item_delete",
    ),
    path("plans/<int:pk>/review-note/", views_edit.review_note, name="review_note"),
    path("plans/<int:pk>/sign/", views_edit.sign, name="sign"),
    path("plans/<int:pk>/patient-signature/", views_edit.patient_sign, name="patient_sign"),
    path(
        "plans/<int:pk>/patient-did-not-sign/",
        views_edit.patient_declined,
        name="patient_declined",
    ),
    path("plans/<int:pk>/reopen/", views_edit.reopen, name="reopen"),
    path("plans/<int:pk>/discard/", views_edit.discard, name="discard"),
    path("plans/<int:pk>/review/", views_edit.start_review, name="review"),
    # Relapse-prevention and safety plans
    path(
        "plans/episodes/<int:episode_pk>/relapse-prevention/",
        views_living.living_edit,
        {"kind": "relapse"},
        name="relapse",
    ),
    path(
        "plans/episodes/<int:episode_pk>/relapse-prevention/print/",
        views.print_living,
        {"kind": "relapse"},
        name="relapse_print",
    ),
    path(
        "plans/episodes/<int:episode_pk>/safety/",
        views_living.living_edit,
        {"kind": "safety"},
        name="safety",
    ),
    path(
        "plans/episodes/<int:episode_pk>/safety/print/",
        views.print_living,
        {"kind": "safety"},
        name="safety_print",
    ),
    # A program's plan templates
    path(
        "plans/programs/<int:program_pk>/templates/",
        views_templates.template_list,
        name="templates",
    ),
    path(
        "plans/programs/<int:program_pk>/templates/new/",
        views_templates.template_edit,
        name="template_new",
    ),
    path(
        "plans/programs/<int:program_pk>/templates/<int:template_pk>/",
        views_templates.template_edit,
        name="template_edit",
    ),
]
