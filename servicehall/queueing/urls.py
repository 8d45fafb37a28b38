from django.urls import path

from . import views

app_name = "queueing"

urlpatterns = [
    path("setup/<str:code>/", views.setup, name="setup"),
    path("window/", views.terminal, name="terminal"),
    path("window/<int:window_id>/act", views.terminal_act, name="terminal_act"),
    path("kiosk/<str:key>/", views.kiosk, name="kiosk"),
    path("kiosk/<str:key>/t/<str:token>/", views.kiosk_slip, name="kiosk_slip"),
    path("t/<str:token>/", views.ticket_status, name="ticket_status"),
    path("book/", views.booking_centers, name="booking_centers"),
    path("book/cancel/", views.booking_cancel, name="booking_cancel"),
    path("book/<str:code>/", views.booking, name="booking"),
    path("display/<str:key>/", views.display, name="display"),
    path("display/<str:key>/state", views.display_state, name="display_state"),
    path("display/<str:key>/window/<int:number>/", views.window_screen, name="window_screen"),
]
