"""Each collection run shows its own figures (collected on that run), not the banker's cash today."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.cash import services as cash
from apps.members.services import member_assign
from tests.ledger.factories import make_member, on_day, open_account, open_drawer

pytestmark = pytest.mark.django_db


def test_every_past_run_shows_what_was_collected_on_it(console, cashier, manager, mobile_banker,
                                                        operations_manager):
    yesterday, today = timezone.localdate() - timedelta(days=1), timezone.localdate()
    on_day(yesterday)
    open_drawer(cashier, Decimal("1000.00"))
    member = make_member(registrar=cashier, verifier=operations_manager)
    member_assign(actor=manager, member=member, banker=mobile_banker)
    account = open_account(actor=cashier, member=member)
    cash.field_collect(actor=mobile_banker, account=account, amount="20.00", idempotency_key="y1")
    cash.field_remit(actor=mobile_banker, cashier=cashier, denominations={"20.00": 1})
    on_day(today)
    cash.field_collect(actor=mobile_banker, account=account, amount="35.00", idempotency_key="t1")
    cash.field_collect(actor=mobile_banker, account=account, amount="20.00", idempotency_key="t2",
                       confirm=True)  # a second collection the same day is confirmed (issue 12, item 13)

    page = console(manager).get("/admin/cash/collectionrun/").content.decode()
    assert "Collected on the run" in page and "Cash with banker" not in page
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S)
    from apps.cash.models import CollectionRun

    def row_of(day):
        run = CollectionRun.objects.get(business_date=day)
        [row] = [r for r in rows if f"/admin/cash/collectionrun/{run.pk}/change/" in r]
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))

    assert "20.00" in row_of(yesterday) and "55.00" not in row_of(yesterday)
    assert "55.00" in row_of(today)

    position = console(manager).get("/admin/cash/cashdrawer/position/").content.decode()
    assert "Uncollected cash" not in position and "Cash with banker, not yet remitted" in position
