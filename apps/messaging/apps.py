from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self):
        from apps.core.admin_site import register_admin_urls
        from apps.core.notify import register_notification_kind
        from apps.core.roles import Role

        from .services import SERVICE_DESK_ROLES

        register_notification_kind(
            "service_desk.thread_new", "New member message", roles=SERVICE_DESK_ROLES,
            description="A member wrote to the credit union; the thread waits in the service-desk queue "
                        "for a cashier, a manager or an operations manager to pick it up.")
        register_notification_kind(
            "service_desk.picked_up", "Your message was picked up", roles=(Role.CUSTOMER,),
            description="Someone at the credit union took up your message and will answer it.")

        # Notifications: a sign-in from a new device (users' kind), the notification settings page.
        from django.contrib.auth.signals import user_logged_in

        from . import signin
        from .preference_views import register_console_page

        user_logged_in.connect(signin.on_sign_in, dispatch_uid="messaging.new_device")
        register_console_page()
        register_admin_urls(_admin_urls)
        self._sidebar()

    @staticmethod
    def _sidebar():
        """The Messages group, right under Overview and never folded, so the Inbox's unread badge shows."""
        from apps.core import sidebar

        from .services import SERVICE_DESK_ROLES

        sidebar.register_group("messages", "Messages", position=5)
        sidebar.register_item("messages", "Inbox", "inbox", url="admin:messaging_inbox", position=10,
                              badge="apps.messaging.admin_views.inbox_badge", badge_variant="primary",
                              active=sidebar.path_is("admin:messaging_inbox", prefix=True,
                                                     except_under=("/messages/service-desk/",)))
        sidebar.register_item("messages", "Service desk", "support_agent", url="admin:messaging_service_desk",
                              position=20, permission=sidebar.has_role(*SERVICE_DESK_ROLES),
                              badge="apps.messaging.admin_views.service_desk_badge", badge_variant="warning")
        sidebar.register_item("messages", "Notifications", "notifications", url="admin:messaging_notifications",
                              position=30)


def _admin_urls(site):
    """The console's messaging pages (apps/messaging/admin_views.py)."""
    from .admin_views import admin_urls

    return admin_urls(site)
