from .views import excel, manage

app_name = "catalog"
urlpatterns = manage.urlpatterns + excel.urlpatterns
