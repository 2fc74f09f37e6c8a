from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("", views.program_list, name="list"),
    path("switch-site/", views.switch_site, name="switch_site"),
    path("<int:pk>/", views.program_detail, name="detail"),
    path("<int:pk>/site/", views.site_edit, name="site_edit"),
    path("<int:pk>/tracks/new/", views.track_edit, name="track_new"),
    path("<int:pk>/tracks/<int:track_pk>/", views.track_edit, name="track_edit"),
    path("<int:pk>/phases/new/", views.phase_edit, name="phase_new"),
    path("<int:pk>/phases/<int:phase_pk>/", views.phase_edit, name="phase_edit"),
    path("<int:pk>/rooms/new/", views.room_edit, name="room_new"),
    path("<int:pk>/rooms/<int:room_pk>/", views.room_edit, name="room_edit"),
    path("<int:pk>/members/", views.member_add, name="member_add"),
    path("<int:pk>/members/<int:user_pk>/remove/", views.member_remove, name="member_remove"),
]
