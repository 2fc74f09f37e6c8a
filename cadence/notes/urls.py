from django.urls import path

from . import views_worklist
from .views_group import urlpatterns as group_urls
from .views_notes import urlpatterns as note_urls

app_name = "notes"

urlpatterns = [
    *note_urls,
    *group_urls,
    path("notes/worklist/", views_worklist.worklist, name="worklist"),
]
