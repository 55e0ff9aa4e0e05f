"""The kernel's API kit: what every app's `api.py` needs and nothing about any app.

- `errors`: `ApiError` and the error answers (`install(api)` wires them into the NinjaAPI).
- `fields`: `Amount` (amounts through `apps.core.money.parse_amount`).
- `idempotency`: the `Idempotency-Key` header of money-moving POSTs.
- `pagination`: `PageNumber` (`?page=&page_size=` → `{"items", "count"}`).
- `permissions`: `require_role`, `require_perm`.
- `parser`: `CoastalParser` (exact JSON numbers, no control characters).

The NinjaAPI object, authentication and the mounting of each app's routers are in `apps.api`.
"""
