"""Websocket routes. Apps add their consumers here (messaging, notifications)."""

websocket_urlpatterns: list = []
