"""Ghana cedi notes 200–1 and coins 2–0.10. GH₵2 and GH₵1 circulate as notes and coins; a count is by value."""

from decimal import Decimal

from django.db import migrations

NOTES = ["200", "100", "50", "20", "10", "5", "2", "1"]
COINS = ["0.50", "0.20", "0.10"]


def create(apps, schema_editor):
    Denomination = apps.get_model("cash", "Denomination")
    for value in NOTES:
        Denomination.objects.get_or_create(value=Decimal(value), defaults={"kind": "note"})
    for value in COINS:
        Denomination.objects.get_or_create(value=Decimal(value), defaults={"kind": "coin"})


class Migration(migrations.Migration):
    dependencies = [("cash", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
