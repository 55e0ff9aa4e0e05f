"""Building blocks for ledger tests: members, accounts and money, made through the services."""

import itertools
from decimal import Decimal

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


def fund(account: Account, amount, *, cashier) -> Account:
    services.deposit_create(actor=cashier, account=account, amount=Decimal(str(amount)))
    account.refresh_from_db()
    return account
