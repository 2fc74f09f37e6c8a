from django.urls import path

from . import views_calendar, views_feeds, views_patient, views_roster, views_setup, views_worklist

app_name = "scheduling"
urlpatterns = [
    # Facilitators and front desk
    path("", views_calendar.my_day, name="my_day"),
    path("week/", views_calendar.week, name="week"),
    path("check-in/", views_roster.check_in, name="check_in"),
    path("sessions/<int:pk>/", views_roster.session, name="session"),
    path("sessions/<int:pk>/mark/<int:episode_pk>/", views_roster.mark, name="mark"),
    path("sessions/<int:pk>/all-present/", views_roster.all_present, name="all_present"),
    path("sessions/<int:pk>/cancel/", views_roster.cancel, name="cancel"),
    path("sessions/<int:pk>/move/", views_roster.move, name="move"),
    # A patient's schedule, enrollment and appointments
    path("patients/<int:patient_pk>/", views_patient.chart_schedule, name="chart"),
    path("patients/<int:patient_pk>/enroll/<int:episode_pk>/", views_patient.enroll, name="enroll"),
    path("patients/<int:patient_pk>/book/", views_patient.book, name="book"),
    path("appointments/<int:pk>/", views_patient.appointment, name="appointment"),
    path(
        "appointments/<int:pk>/cancel/", views_patient.appointment_cancel, name="appointment_cancel"
    ),
    path("appointments/<int:pk>/mark/", views_patient.appointment_mark, name="appointment_mark"),
    # Follow-up worklist
    path("worklist/", views_worklist.worklist, name="worklist"),
    path("worklist/<int:episode_pk>/contact/", views_worklist.contact, name="contact"),
    # Calendar feeds
    path("feeds/", views_feeds.feeds, name="feeds"),
    path("feeds/<int:pk>/revoke/", views_feeds.feed_revoke, name="feed_revoke"),
    path("feed/<str:token>.ics", views_feeds.feed, name="feed"),
    path("patients/<int:patient_pk>/schedule.ics", views_feeds.patient_ics, name="patient_ics"),
    # Director set-up: curriculum, series, holidays, staff availability
    path("programs/<int:pk>/", views_setup.program_schedule, name="setup"),
    path("programs/<int:pk>/topics/new/", views_setup.topic_edit, name="topic_new"),
    path("programs/<int:pk>/topics/<int:topic_pk>/", views_setup.topic_edit, name="topic_edit"),
    path("programs/<int:pk>/series/new/", views_setup.series_edit, name="series_new"),
    path("programs/<int:pk>/series/<int:series_pk>/", views_setup.series_edit, name="series_edit"),
    path("programs/<int:pk>/holidays/", views_setup.holiday_add, name="holiday_add"),
    path(
        "programs/<int:pk>/holidays/<int:holiday_pk>/remove/",
        views_setup.holiday_remove,
        name="holiday_remove",
    ),
    path("availability/", views_setup.availability, name="availability"),
]
