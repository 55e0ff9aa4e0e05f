from django.urls import path

from . import banking, loans, statements, views

app_name = "portal"

urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("my/", views.dashboard, name="dashboard"),
    path("my/sessions/", views.sessions, name="sessions"),
    path("my/password/", views.password_change, name="password_change"),
    path("my/accounts/", banking.account_list, name="accounts"),
    path("my/accounts/<int:pk>/", banking.account_detail, name="account"),
    path("my/accounts/<int:pk>/statement/", statements.account_statement, name="account_statement"),
    path("my/transfer/", banking.transfer, name="transfer"),
    path("my/transactions/<int:pk>/", banking.transaction_detail, name="transaction"),
    path("my/loans/calculator/", loans.loan_calculator, name="loan_calculator"),
    path("my/loans/guarantees/", loans.guarantee_requests, name="guarantees"),
    path("my/loans/guarantees/<int:pk>/", loans.guarantee_answer, name="guarantee_answer"),
]
