from django.urls import path

from . import views

app_name = "queueing"

urlpatterns = [
    path("window/", views.terminal, name="terminal"),
    path("window/<int:window_id>/act", views.terminal_act, name="terminal_act"),
    path("kiosk/<str:key>/", views.kiosk, name="kiosk"),
    path("kiosk/<str:key>/t/<str:token>/", views.kiosk_slip, name="kiosk_slip"),
    path("t/<str:token>/", views.ticket_status, name="ticket_status"),
    path("display/<str:key>/", views.display, name="display"),
    path("display/<str:key>/state", views.display_state, name="display_state"),
    path("display/<str:key>/window/<int:number>/", views.window_screen, name="window_screen"),
]
