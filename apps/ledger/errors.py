from apps.core.errors import RuleRefused


class LedgerError(RuleRefused):
    """A business rule refused the operation (API: 409). Nothing was posted."""


class ApprovalError(LedgerError):
    """The approver may not decide this one (API: 403)."""

    status = 403
