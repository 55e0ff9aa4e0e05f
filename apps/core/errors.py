"""The kernel's one domain-free error: a business rule refused what was asked.

Each app's rules raise a subclass (the ledger's `LedgerError`, ...) with a code and a message a
person can act on; nothing was changed. The API kit answers every one the same way
(`{"detail", "code"}` with the subclass's `status`, 409 unless it says otherwise), so an app's API
needs no wrapper around its services."""


class RuleRefused(Exception):
    status = 409

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)
