from django.db import migrations


def fill(apps, schema_editor):
    """Cheque deposits made before IdempotencyRecord.result_id existed: their record names the cheque."""
    IdempotencyRecord = apps.get_model("ledger", "IdempotencyRecord")
    ChequeDeposit = apps.get_model("cash", "ChequeDeposit")
    for record in IdempotencyRecord.objects.filter(scope="cheque", result_id__isnull=True):
        cheque = ChequeDeposit.objects.filter(transaction_id=record.transaction_id).first()
        if cheque is not None:
            IdempotencyRecord.objects.filter(pk=record.pk).update(result_id=cheque.pk, transaction=None)


class Migration(migrations.Migration):
    dependencies = [
        ("cash", "0006_field_collection_multiple"),
        ("ledger", "0014_engine_reasons_opening_dates_results"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
