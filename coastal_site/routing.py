"""Websocket routes. Apps add their consumers here (messaging, notifications)."""

from django.urls import path

from apps.messaging.consumers import LiveConsumer

websocket_urlpatterns: list = [
    path("ws/", LiveConsumer.as_asgi()),
]
