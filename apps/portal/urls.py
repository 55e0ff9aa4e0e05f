from django.urls import path

from . import banking, loans, notification_settings, statements, views

app_name = "portal"

urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("my/", views.dashboard, name="dashboard"),
    path("my/sessions/", views.sessions, name="sessions"),
    path("my/password/", views.password_change, name="password_change"),
    path("my/notifications/settings/", notification_settings.notification_settings, name="notification_settings"),
    path("my/accounts/", banking.account_list, name="accounts"),
    path("my/accounts/<int:pk>/", banking.account_detail, name="account"),
    path("my/accounts/<int:pk>/statement/", statements.account_statement, name="account_statement"),
    path("my/transfer/", banking.transfer, name="transfer"),
    path("my/transactions/<int:pk>/", banking.transaction_detail, name="transaction"),
    path("my/loans/", loans.loan_list, name="loans"),
    path("my/loans/apply/", loans.loan_apply, name="loan_apply"),
    path("my/loans/<int:pk>/", loans.loan_detail, name="loan"),
    path("my/loans/<int:pk>/pay/", loans.loan_pay, name="loan_pay"),
    path("my/loans/<int:pk>/documents/", loans.loan_document_upload, name="loan_document_upload"),
    path("my/loans/<int:pk>/documents/<int:document>/", loans.loan_document_download, name="loan_document"),
    path("my/loans/<int:pk>/payments/<int:txn>/", loans.loan_receipt, name="loan_receipt"),
    path("my/loans/<int:pk>/schedule.pdf", loans.loan_schedule_pdf, name="loan_schedule_pdf"),
    path("my/loans/<int:pk>/statement.pdf", loans.loan_statement_pdf, name="loan_statement_pdf"),
    path("my/loans/calculator/", loans.loan_calculator, name="loan_calculator"),
    path("my/loans/guarantees/", loans.guarantee_requests, name="guarantees"),
    path("my/loans/guarantees/<int:pk>/", loans.guarantee_answer, name="guarantee_answer"),
]
