"""The test database: migrated once per set of migrations, then copied for each test process.

Applying the 250-odd migrations (ours, Wagtail's, django-q2's, ...) takes most of a minute, and
every pytest-xdist worker would apply them again on every run. Instead the first process that
needs the database builds a template and keeps it for later runs; every process gets a copy:

- SQLite: the template is a file, var/test-db/<key>.sqlite3, and each process loads it into its
  own in-memory database (as Django's parallel test runner does), so tests run in memory as before.
- PostgreSQL: the template is a database, test_<NAME>_tpl_<key>, and each xdist worker gets its
  own with `CREATE DATABASE test_<NAME>_gw0 TEMPLATE ...` (a file copy inside PostgreSQL).

The key hashes every migration file Django would apply (a migration added, changed or removed,
or a package upgraded, gives a new key and so a new template; older templates are removed) and the
database engine. `post_migrate` is sent again on every copy, as `migrate` would send it, so content
types, permissions, the role groups declared in code and the signal handlers third-party apps
connect then (Wagtail's reference index) are as a fresh `migrate` leaves them.

`--reuse-db` and `--no-migrations` keep pytest-django's own behaviour; `--create-db` builds the
SQLite template again (a PostgreSQL one: drop it, `DROP DATABASE test_<NAME>_tpl_<key>`).
"""

import ast
import contextlib
import fcntl
import hashlib
import importlib.util
import os
import sqlite3
import sys
import time
from pathlib import Path

import django
from django.conf import settings
from django.db import connections

ROOT = Path(settings.BASE_DIR) / "var" / "test-db"
STARTED = time.time()  # when this test process started (imported from conftest.py)


def migrations_key(connection) -> str:
    """A short hash of what `migrate` would build: every migration file, the project modules they
    import, the models of apps without migrations, Django's version and the database engine."""
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    digest = hashlib.sha256(f"{django.__version__}|{connection.settings_dict['ENGINE']}".encode())
    files = {key: sys.modules[type(migration).__module__].__file__
             for key, migration in loader.disk_migrations.items()}
    for label in sorted(loader.unmigrated_apps):
        module = apps.get_app_config(label).models_module
        if module is not None and getattr(module, "__file__", None):
            files[(label, "<models>")] = module.__file__
    for name in sorted({name for path in list(files.values()) for name in _our_imports(path)}):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            files[("<imported>", name)] = spec.origin  # e.g. the chart of accounts a data migration reads
    for key in sorted(files):
        digest.update(repr(key).encode())
        digest.update(Path(files[key]).read_bytes())
    return digest.hexdigest()[:16]


def _our_imports(path: str) -> set[str]:
    """The modules of this project (apps.*) that a migration file imports."""
    names = set()
    for node in ast.walk(ast.parse(Path(path).read_bytes())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name == "apps" or name.startswith("apps.")}


@contextlib.contextmanager
def _template_lock():
    """One process at a time builds or copies a template (xdist workers start together)."""
    ROOT.mkdir(parents=True, exist_ok=True)
    with open(ROOT / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _post_migrate(alias: str, verbosity: int) -> None:
    from django.core.management.sql import emit_post_migrate_signal

    emit_post_migrate_signal(verbosity=max(verbosity - 1, 0), interactive=False, db=alias)


def _sqlite(connection, key: str, verbosity: int, rebuild: bool):
    """Returns an open connection that keeps the in-memory database alive (or None)."""
    template = ROOT / f"{key}.sqlite3"
    with _template_lock():
        if rebuild and template.exists() and template.stat().st_mtime < STARTED:
            template.unlink()  # --create-db: built again once in this run (not once per worker)
        if not template.exists():
            connection.creation.create_test_db(verbosity=verbosity, autoclobber=True, serialize=False)
            partial = ROOT / f"{key}.partial"
            partial.unlink(missing_ok=True)
            target = sqlite3.connect(partial)
            connection.ensure_connection()
            connection.connection.backup(target)
            target.close()
            os.replace(partial, template)
            for old in ROOT.glob("*.sqlite3"):
                if old != template:
                    old.unlink(missing_ok=True)
            return None
    name = f"file:memorydb_{connection.alias}?mode=memory&cache=shared"  # the name Django gives it
    keeper = sqlite3.connect(name, uri=True)
    source = sqlite3.connect(f"file:{template}?mode=ro", uri=True)
    source.backup(keeper)
    source.close()
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = connection.settings_dict["NAME"] = name
    connection.ensure_connection()
    _post_migrate(connection.alias, verbosity)
    return keeper


def _close(connection) -> None:
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()  # psycopg's pool keeps connections to the database open otherwise


def _postgres(connection, key: str, verbosity: int) -> None:
    alias, creation = connection.alias, connection.creation
    base_name = connection.settings_dict["NAME"]
    test_name = creation._get_test_db_name()  # with pytest-xdist's worker suffix, test_<NAME>_gw0
    prefix = f"test_{base_name}_tpl_"
    template = f"{prefix}{key}"
    quote = connection.ops.quote_name
    with _template_lock():
        with creation._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
            exists = cursor.fetchone() is not None
        if not exists:
            connection.settings_dict["TEST"]["NAME"] = template
            try:
                creation.create_test_db(verbosity=verbosity, autoclobber=True, serialize=False)
            finally:
                connection.settings_dict["TEST"]["NAME"] = test_name
                _close(connection)
                settings.DATABASES[alias]["NAME"] = connection.settings_dict["NAME"] = base_name
            with creation._nodb_cursor() as cursor:
                cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
                               [prefix.replace("_", r"\_") + "%", template])
                for (old,) in cursor.fetchall():
                    with contextlib.suppress(Exception):  # still in use by another run: left for later
                        cursor.execute(f"DROP DATABASE IF EXISTS {quote(old)}")
        with creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(test_name)}")
            cursor.execute(f"CREATE DATABASE {quote(test_name)} TEMPLATE {quote(template)}")
    _close(connection)
    settings.DATABASES[alias]["NAME"] = connection.settings_dict["NAME"] = test_name
    connection.ensure_connection()
    _post_migrate(alias, verbosity)


@contextlib.contextmanager
def test_databases(*, verbosity: int, serialized_aliases, use_migrations: bool, keepdb: bool, createdb: bool):
    """Set up the test database for the session (the body of pytest-django's django_db_setup)."""
    from django.test.utils import setup_databases, teardown_databases

    connection = connections["default"]
    in_memory = connection.vendor == "sqlite" and connection.creation.is_in_memory_db(
        connection.creation._get_test_db_name())
    if (not use_migrations or keepdb or list(connections) != ["default"]
            or not (in_memory or connection.vendor == "postgresql")):
        # pytest-django's own way: --reuse-db, --no-migrations, or a set-up this file does not know
        if not use_migrations:
            from pytest_django.fixtures import _disable_migrations

            _disable_migrations()
        config = setup_databases(verbosity=verbosity, interactive=False, serialized_aliases=serialized_aliases,
                                 keepdb=keepdb)
        yield
        if not keepdb:
            teardown_databases(config, verbosity=verbosity)
        return

    old_name = connection.settings_dict["NAME"]
    key = migrations_key(connection)
    keeper = (_sqlite(connection, key, verbosity, rebuild=createdb) if in_memory
              else _postgres(connection, key, verbosity))
    if "default" in serialized_aliases:
        connection._test_serialized_contents = connection.creation.serialize_db_to_string()
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity, keepdb=False)
        if connection.vendor == "postgresql" and hasattr(connection, "close_pool"):
            connection.close_pool()
        if keeper is not None:
            keeper.close()
