"""Journal entries and postings are append-only in the database as well as in the models: a row
can be added, never changed or removed (a mistake is corrected by a reversal). Raw SQL, another
program or a careless shell session meet the same rule as the application.

PostgreSQL refuses UPDATE and DELETE (SQLSTATE 23000, an IntegrityError in Django); SQLite, the
embedded default, refuses UPDATE (a DELETE trigger would also stop Django's test database flush,
which empties tables with DELETE on SQLite and with TRUNCATE, which row triggers do not see, on
PostgreSQL). SQLite drops a table's triggers when a migration rebuilds the table (most AlterField
operations do): such a migration must create the trigger again."""

from django.db import migrations

TABLES = ("ledger_journalentry", "ledger_posting")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: post a reversal instead',
        ERRCODE = 'integrity_constraint_violation';
END
$$;
"""


def forwards(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(POSTGRES_FUNCTION)
        for table in TABLES:
            execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION ledger_append_only()")
    elif schema_editor.connection.vendor == "sqlite":
        for table in TABLES:
            execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: post a reversal instead'); END")


def backwards(apps, schema_editor):
    for table in TABLES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS ledger_append_only()")


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0011_history_reads_only_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
