"""The GL accounts of lending the starting chart lacks (apps/loans/chart.py). Existing accounts with these
codes are left as they are."""

from django.db import migrations

from apps.loans.chart import CHART


def add_accounts(apps, schema_editor):
    GLAccount = apps.get_model("ledger", "GLAccount")
    for code, name, kind in CHART:
        GLAccount.objects.get_or_create(code=code, defaults={"name": name, "type": kind})


class Migration(migrations.Migration):
    dependencies = [("loans", "0001_initial"), ("ledger", "0014_engine_reasons_opening_dates_results")]

    operations = [migrations.RunPython(add_accounts, migrations.RunPython.noop)]
