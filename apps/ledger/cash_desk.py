"""Where cash paid in or out sits: the ledger asks the app that runs the cash desk, without importing it.

A cash deposit or withdrawal posts against a GL account for the cash itself (a cashier's drawer, a
field banker's collection run). The ledger knows no drawers; the cash app registers two handlers
from its `AppConfig.ready()`: `account_for(actor=, txn=)` (called under the movement's locks; it may
lock its own rows after them and refuse with a LedgerError) and `approval_check(txn=)` (called before
a pending cash withdrawal is approved). Without a cash app, cash movements are refused.
"""

from .errors import LedgerError

_handlers: dict = {}


def register_cash_desk(*, account_for, approval_check) -> None:
    _handlers.update(account_for=account_for, approval_check=approval_check)


def cash_account_for(*, actor, txn):
    if "account_for" not in _handlers:
        raise LedgerError("no_cash_desk", "Cash is not handled by this installation.")
    return _handlers["account_for"](actor=actor, txn=txn)


def cash_approval_check(*, txn) -> None:
    if "approval_check" not in _handlers:
        raise LedgerError("no_cash_desk", "Cash is not handled by this installation.")
    _handlers["approval_check"](txn=txn)
