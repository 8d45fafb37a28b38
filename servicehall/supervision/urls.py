from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.console, name="console"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:order_id>/", views.order_detail, name="order"),
    path("cards/", views.cards, name="cards"),
    path("cards/mine/", views.my_cards, name="my_cards"),
]
