"""The starting chart of accounts and the seed's three products."""

from decimal import Decimal

from django.db import migrations

from apps.ledger.chart import CHART, PRODUCTS


def create_chart(apps, schema_editor):
    GLAccount = apps.get_model("ledger", "GLAccount")
    Product = apps.get_model("ledger", "Product")
    LedgerPolicy = apps.get_model("ledger", "LedgerPolicy")
    for code, name, kind in CHART:
        GLAccount.objects.update_or_create(code=code, defaults={"name": name, "type": kind})
    for code, name, kind, control, minimum, withdrawable in PRODUCTS:
        Product.objects.update_or_create(code=code, defaults={
            "name": name, "kind": kind, "control_account": GLAccount.objects.get(code=control),
            "minimum_balance": Decimal(minimum), "allows_withdrawal": withdrawable,
        })
    if not LedgerPolicy.objects.exists():
        LedgerPolicy.objects.create()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(create_chart, migrations.RunPython.noop)]
