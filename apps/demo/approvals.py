"""Today's approvals queue: work left on the open business day for the demo manager (fixtures/demo/activity.json)."""

import random
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.core.business_day import BusinessDayClosed, current_business_date
from apps.ledger import services
from apps.ledger.errors import LedgerError
from apps.ledger.models import Account, Product, Transaction
from apps.ledger.selectors import pending_approvals
from apps.members.models import Member

from .data import load, money
from .members import DEMO_SEED
from .staff import Staff

QUEUE = load("activity")["approvals_queue"]


def seed_approvals(*, staff: Staff) -> dict:
    """Leave work in the approvals queue on the open business day, for the demo manager: a member pays in
    the proceeds of a canoe and the cashier enters a transfer and a payment above the threshold; the second
    manager enters another member's large transfer; the cashier asks to reverse a transfer sent to the wrong
    account. Call it after the cashier's drawer is open (cash_desk.seed_today): the lump sums are cash.

    Each movement carries an idempotency key made of the date and its place here, and a transfer already
    reversed is not asked again, so a second run posts nothing new."""
    try:
        today = current_business_date()
    except BusinessDayClosed as exc:
        return {"pending": pending_approvals().count(), "note": f"no business day is open ({exc})"}
    # savers (a reversal must find the money still there above the minimum balance), not the demo customer
    accounts = list(Account.objects.filter(product__kind=Product.Kind.MONTHLY_CONTRIBUTION,
                                           status=Account.Status.ACTIVE, balance__gte=money("100.00"),
                                           member__kyc_status=Member.Kyc.VERIFIED, member__user__isnull=True)
                    .select_related("product").order_by("pk"))
    note = ""
    if len(accounts) < 5:
        note = "too few verified members for today's approvals"
    else:
        try:
            with transaction.atomic():
                rng = random.Random(f"coastal-queue:{DEMO_SEED}:{today.isoformat()}")
                _queue(staff, today, rng.sample(accounts, 5))
        except (LedgerError, ValidationError, PermissionDenied) as exc:
            note = f"today's approvals were refused: {exc}"
    return {"pending": pending_approvals().count(), "note": note}


def _queue(staff: Staff, today: date, accounts: list[Account]) -> None:
    seller, builder, trader, family, neighbour = accounts
    cashier = staff.cashier

    def key(step: int) -> str:
        return f"demo-queue-{today:%Y%m%d}-{step}"

    def move(name: str) -> dict:
        return {"amount": money(QUEUE[name]["amount"]), "description": QUEUE[name]["description"]}

    services.deposit_create(actor=cashier, account=seller, idempotency_key=key(1), **move("seller_deposit"))
    services.transfer_create(actor=cashier, from_account=seller, to_account_number=builder.account_number,
                             idempotency_key=key(2), **move("seller_transfer"))
    services.payment_create(actor=cashier, account=seller, idempotency_key=key(3), **move("seller_payment"))
    services.deposit_create(actor=cashier, account=trader, idempotency_key=key(4), **move("trader_deposit"))
    services.transfer_create(actor=staff.second_manager, from_account=trader,
                             to_account_number=family.account_number, idempotency_key=key(5),
                             **move("trader_transfer"))
    wrong = services.transfer_create(actor=cashier, from_account=trader, to_account_number=neighbour.account_number,
                                     idempotency_key=key(6), **move("wrong_transfer"))
    if not Transaction.objects.filter(reverses=wrong).exists():
        services.reversal_request(actor=cashier, original=wrong, reason=QUEUE["wrong_transfer_reason"])
