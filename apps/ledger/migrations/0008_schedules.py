"""The end-of-day schedules: close the business date at 23:00 and open the next at 06:00 (Africa/Accra)."""

from django.db import migrations
from django.utils import timezone


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    now = timezone.localtime()
    for name, func, hour in (("Close the business day", "apps.ledger.tasks.scheduled_end_of_day", 23),
                             ("Open the business day", "apps.ledger.tasks.scheduled_open_day", 6)):
        first = now.replace(hour=hour, minute=0, second=0, microsecond=0)
        if first <= now:
            first += timezone.timedelta(days=1)
        Schedule.objects.get_or_create(name=name, defaults={"func": func, "schedule_type": "D", "next_run": first,
                                                            "repeats": -1})


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func__startswith="apps.ledger.tasks.").delete()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_transaction_relations"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(create, remove)]
