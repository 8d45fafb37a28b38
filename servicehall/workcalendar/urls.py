from django.urls import path

from . import views

app_name = "workcalendar"
urlpatterns = [
    path("", views.calendar_view, name="calendar"),
    path("days/<str:day>/delete/", views.day_delete_view, name="day_delete"),
    path("years/<int:year>/confirm/", views.year_confirm_view, name="year_confirm"),
]
