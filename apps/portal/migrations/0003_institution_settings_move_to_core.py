"""The institution's details move to core's InstitutionSettings (one home for the name, contacts and
logo); the values staff saved in the portal's CreditUnionSettings are copied over first."""

from django.db import migrations

FIELDS = ("name", "address", "phone", "email")


def copy_to_core(apps, schema_editor):
    Old = apps.get_model("portal", "CreditUnionSettings")
    New = apps.get_model("core", "InstitutionSettings")
    for old in Old.objects.all():
        New.objects.update_or_create(site_id=old.site_id, defaults={f: getattr(old, f) for f in FIELDS})


def copy_back(apps, schema_editor):
    Old = apps.get_model("portal", "CreditUnionSettings")
    New = apps.get_model("core", "InstitutionSettings")
    for new in New.objects.all():
        Old.objects.update_or_create(site_id=new.site_id, defaults={f: getattr(new, f) for f in FIELDS})


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_home_page"),
        ("core", "0005_institution_settings"),
    ]

    operations = [
        migrations.RunPython(copy_to_core, copy_back),
        migrations.DeleteModel(name="CreditUnionSettings"),
    ]
