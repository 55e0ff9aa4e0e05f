#!/bin/sh
# Entrypoint of the Coastal image.
#
#   web                  ASGI server (daphne) on 0.0.0.0:8000. Does NOT migrate: migrations run
#                        once per release (`migrate`), never in every one of N web processes.
#   migrate              apply migrations, then create the database cache table
#   worker               django-q2 job cluster (qcluster)
#   wait-for-migrations  block until the database schema matches the code (k8s init container)
#   anything else        run as given, e.g. `python manage.py createsuperuser`
#
# web, migrate, worker and wait-for-migrations first wait for the database (DB_WAIT_TIMEOUT
# seconds, default 60), so containers can start in any order.
set -eu

cd /app

wait_for_db() {
    python - <<'PY'
import os
import sys
import time

import django

django.setup()
from django.db import connection

deadline = time.monotonic() + float(os.environ.get("DB_WAIT_TIMEOUT", "60"))
while True:
    try:
        connection.ensure_connection()
        break
    except Exception as exc:  # OperationalError, DNS failures while the DB container starts...
        if time.monotonic() > deadline:
            print(f"entrypoint: database not reachable: {exc}", file=sys.stderr)
            sys.exit(1)
        print("entrypoint: waiting for the database...", file=sys.stderr)
        time.sleep(2)
connection.close()
PY
}

command="${1:-web}"
if [ "$#" -gt 0 ]; then shift; fi

case "$command" in
    web)
        wait_for_db
        # --proxy-headers: take the client address from X-Forwarded-For (set by nginx or the
        # ingress controller), so audit records and sessions show the member's IP, not the
        # proxy's. Only safe because port 8000 is reachable from the proxy alone.
        # Each web process lends requests PostgreSQL connections from a pool of DB_POOL_MAX_SIZE:
        # under ASGI a request would otherwise open (and close) a connection of its own.
        export DB_POOL_MAX_SIZE="${DB_POOL_MAX_SIZE:-10}"
        exec daphne --bind 0.0.0.0 --port 8000 --proxy-headers "$@" coastal_site.asgi:application
        ;;
    migrate)
        wait_for_db
        python manage.py migrate --no-input "$@"
        # No-op when REDIS_URL sets the cache; needed for the database cache otherwise.
        exec python manage.py createcachetable
        ;;
    worker)
        wait_for_db
        # No connection pool: qcluster forks its workers, and a pool's threads and sockets do not
        # survive a fork. Each worker keeps its own connection (DB_CONN_MAX_AGE).
        export DB_POOL_MAX_SIZE=0
        exec python manage.py qcluster "$@"
        ;;
    wait-for-migrations)
        wait_for_db
        # `migrate --check` exits non-zero while any migration is unapplied.
        until python manage.py migrate --check >/dev/null 2>&1; do
            echo "entrypoint: waiting for migrations to be applied..." >&2
            sleep 5
        done
        ;;
    *)
        exec "$command" "$@"
        ;;
esac
