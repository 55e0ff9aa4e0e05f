"""Container health check: GET /api/health/ on the local web process (no curl in the slim image).

Exits 0 on 200, 1 otherwise (503 when the database, cache or job broker is down, or no answer).
The Host header must pass ALLOWED_HOSTS, so it is taken from the first ALLOWED_HOSTS entry.
/api/health/ is exempt from SECURE_SSL_REDIRECT, so plain HTTP on 127.0.0.1 is fine.
"""

import os
import sys
import urllib.request

host = os.environ.get("ALLOWED_HOSTS", "").split(",")[0].strip().lstrip(".")  # ".example.org" -> "example.org"
if not host or host == "*":
    host = "localhost"

# An empty ProxyHandler: never send this request through an HTTP(S)_PROXY from the environment.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
request = urllib.request.Request("http://127.0.0.1:8000/api/health/", headers={"Host": host})
try:
    with opener.open(request, timeout=4) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:  # HTTPError (503, 400 for a bad Host), URLError, timeout
    print(f"healthcheck: {exc}", file=sys.stderr)
    sys.exit(1)
