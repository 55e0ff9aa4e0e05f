"""Sensible starting rules for the three products (operations managers change them in the console)."""

from decimal import Decimal

from django.db import migrations


def configure(apps, schema_editor):
    Product = apps.get_model("ledger", "Product")
    Product.objects.filter(code="SUSU").update(cycle_days=31, commission_mode="first_day",
                                               early_withdrawal="commission", dormancy_days=180)
    Product.objects.filter(code="MONTHLY").update(interest_rate=Decimal("6.0000"), dormancy_days=365)
    Product.objects.filter(code="SHARES").update(share_price=Decimal("10.00"), dividend_destination="shares")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_schedules")]

    operations = [migrations.RunPython(configure, migrations.RunPython.noop)]
