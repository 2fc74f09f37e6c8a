from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("", views.board, name="board"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/move/", views.move_view, name="move"),
    path("<int:pk>/close/", views.close_view, name="close"),
    path("<int:pk>/chart/", views.chart_view, name="chart"),
    path("<int:pk>/admit/", views.admit_view, name="admit"),
]
