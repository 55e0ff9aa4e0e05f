"""The portal's loan pages use the loans tests' world: a product, a borrower and a guarantor with savings,
and their loan approved or paid out."""

from tests.loans.conftest import active_loan, approved_loan, product, world  # noqa: F401 (shared with tests/loans)
