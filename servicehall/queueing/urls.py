from django.urls import path

from . import views

app_name = "queueing"

urlpatterns = [
    path("display/<str:key>/state", views.display_state, name="display_state"),
]
