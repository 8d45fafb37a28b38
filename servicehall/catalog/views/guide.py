"""The public guide (办事指南, no login) and the information desk."""

urlpatterns: list = []
