from django.urls import path

from . import views

app_name = "attendance"

urlpatterns = [
    path("", views.board, name="board"),
    path("leaves/<int:leave_id>/decide/", views.leave_decide, name="leave_decide"),
]
