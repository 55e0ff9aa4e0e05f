"""The portal's loan pages use the loans tests' world: a product, a borrower and a guarantor with savings."""

from tests.loans.conftest import product, world  # noqa: F401 (fixtures shared with tests/loans)
