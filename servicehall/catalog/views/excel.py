"""Excel import and export pages."""

urlpatterns: list = []
