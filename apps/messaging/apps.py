from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self):
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
