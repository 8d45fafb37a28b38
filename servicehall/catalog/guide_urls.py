"""The public guide lives at /guide/ (no login), apart from the staff pages at /catalog/."""

from .views import guide

app_name = "guide"
urlpatterns = guide.urlpatterns
