from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("my/", views.dashboard, name="dashboard"),
    path("my/sessions/", views.sessions, name="sessions"),
    path("my/password/", views.password_change, name="password_change"),
]
