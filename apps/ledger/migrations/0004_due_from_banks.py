from django.db import migrations


def add_account(apps, schema_editor):
    apps.get_model("ledger", "GLAccount").objects.get_or_create(
        code="1300", defaults={"name": "Due from banks (settlement account)", "type": "asset"})


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_gl_parent")]

    operations = [migrations.RunPython(add_account, migrations.RunPython.noop)]
