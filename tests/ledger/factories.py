"""Building blocks for ledger tests: members, accounts, drawers and money, made through the services."""

import itertools
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model

from apps.cash import services as cash
from apps.core.models import BusinessDay
from apps.ledger import services
from apps.ledger.models import Account, Product
from apps.members.models import Member
from apps.members.services import member_kyc_verify, member_register

_ids = itertools.count(100000001)


def ghana_card() -> str:
    return f"GHA-{next(_ids):09d}-1"


def make_member(*, registrar, verifier=None, user=None, **fields) -> Member:
    data = {"first_name": "Esi", "last_name": "Quaye", "phone": "0244123456", "national_id": ghana_card()}
    data.update(fields)
    member = member_register(actor=registrar, **data)
    if verifier is not None:
        member = member_kyc_verify(actor=verifier, member=member)
    if user is not None:
        member.user = user
        member.save(update_fields=["user"])
    return member


def open_account(*, actor, member: Member, kind: str = "daily_susu") -> Account:
    return services.account_open(actor=actor, member=member, product=Product.objects.get(kind=kind))


def _vault_manager():
    manager = get_user_model().objects.filter(role="manager", email="vault-keeper@coastal.test").first()
    return manager or get_user_model().objects.create_user("vault-keeper@coastal.test", "x", role="manager")


def open_drawer(cashier, float_amount: Decimal = Decimal("100000.00")):
    """Fund the vault, issue a float and open the cashier's drawer (the way a cashier starts a day)."""
    drawer = cash.current_drawer(cashier)
    if drawer is not None:
        return drawer
    manager = _vault_manager()
    cash.vault_receive(actor=manager, amount=float_amount, note="Test funding")
    cash.float_issue(actor=manager, cashier=cashier, amount=float_amount)
    notes = int(float_amount // 200)
    return cash.drawer_open(actor=cashier, denominations={"200.00": notes})


def fund(account: Account, amount, *, cashier) -> Account:
    open_drawer(cashier)
    services.deposit_create(actor=cashier, account=account, amount=Decimal(str(amount)))
    account.refresh_from_db()
    return account


def on_day(day: date) -> None:
    """Make `day` the open business date (closing any other without running end of day)."""
    BusinessDay.objects.exclude(date=day).update(status=BusinessDay.Status.CLOSED)
    BusinessDay.objects.update_or_create(date=day, defaults={"status": BusinessDay.Status.OPEN})


def opened(account: Account, day: date) -> Account:
    """Backdate the account's opening business date (cycles and contribution months count from it)."""
    Account.objects.filter(pk=account.pk).update(opened_on=day)
    account.refresh_from_db()
    return account
