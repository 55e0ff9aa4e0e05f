from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self):
        from apps.core.notify import register_notification_kind

        from .services import SERVICE_DESK_ROLES

        # No roles: these are shown in the bell (Notification rows), not e-mailed (apps/core/notify.py
        # e-mails a kind only to the roles it was registered with).
        register_notification_kind(
            "service_desk.thread_new", "New member message",
            description="A member wrote to the credit union; the thread waits in the service-desk queue "
                        f"for {', '.join(SERVICE_DESK_ROLES)}.")
        register_notification_kind(
            "service_desk.picked_up", "Your message was picked up",
            description="A member of staff took the member's thread from the service-desk queue.")
