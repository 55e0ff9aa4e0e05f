from django.core.cache import cache
from django.db import connection
from ninja import Router, Schema, Status

router = Router(tags=["health"])


class HealthOut(Schema):
    status: str
    database: str
    cache: str
    queue: str


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    cache.set("coastal:health", "ok", 10)
    if cache.get("coastal:health") != "ok":
        raise RuntimeError("cache did not return what was stored")


def _queue() -> None:
    from django_q.brokers import get_broker

    if not get_broker().ping():
        raise RuntimeError("broker did not answer")


CHECKS = {"database": _database, "cache": _cache, "queue": _queue}


@router.get("/health/", auth=None, response={200: HealthOut, 503: HealthOut}, summary="Service health")
def health(request):
    """Database, cache and job queue. 503 when any of them is down."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # a health check reports every failure, whatever its kind
            results[name] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in results.values())
    return Status(200 if healthy else 503, {"status": "ok" if healthy else "unavailable", **results})
