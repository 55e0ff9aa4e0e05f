from django.urls import path

from . import banking, loans, messages, notification_settings, notifications, requests, statements, views

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
    # messages with the credit union (the messaging app's threads) and the notification bell
    path("my/messages/", messages.inbox, name="messages"),
    path("my/messages/list/", messages.inbox_list, name="messages_list"),
    path("my/messages/unread/", messages.messages_nav, name="messages_nav"),
    path("my/messages/new/", messages.thread_new, name="message_new"),
    path("my/messages/<int:pk>/", messages.thread_detail, name="thread"),
    path("my/messages/<int:pk>/list/", messages.thread_messages, name="thread_messages"),
    path("my/messages/<int:pk>/attachments/<int:attachment>/", messages.attachment_download,
         name="message_attachment"),
    # service requests and complaints (the service desk)
    path("my/requests/", requests.request_list, name="requests"),
    path("my/requests/new/", requests.request_new, name="request_new"),
    path("my/requests/<int:pk>/", requests.request_detail, name="request"),
    path("my/requests/<int:pk>/status/", requests.request_status, name="request_status"),
    path("my/requests/<int:pk>/attachments/<int:attachment>/", requests.attachment_download,
         name="request_attachment"),
    path("my/notifications/", notifications.notification_list, name="notifications"),
    path("my/notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("my/notifications/bell/", notifications.notification_bell, name="notification_bell"),
]
