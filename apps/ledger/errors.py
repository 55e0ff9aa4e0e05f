class LedgerError(Exception):
    """A business rule refused the operation (API: 409). Nothing was posted."""

    status = 409

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


class ApprovalError(LedgerError):
    """The approver may not decide this one (API: 403)."""

    status = 403
