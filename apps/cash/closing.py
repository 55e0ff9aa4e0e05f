"""What the cash app puts on the business-day closing checklist (registered in CashConfig.ready)."""

from django.urls import reverse

from apps.core.closing import ChecklistItem
from apps.core.money import format_money

from .models import CashDrawer, CashMovement, ChequeDeposit, CollectionRun
from .services import field_cash_expected, gl_balance


def _name(user) -> str:
    return user.get_full_name() or user.email


def open_drawers(business_date) -> list[ChecklistItem]:
    items = []
    for drawer in (CashDrawer.objects.exclude(status=CashDrawer.Status.CLOSED)
                   .select_related("cashier", "gl_account").order_by("business_date", "pk")):
        if drawer.status == CashDrawer.Status.OPEN:
            text = (f"The drawer of {_name(drawer.cashier)} (opened {drawer.business_date:%d %b}) is still open, "
                    f"holding {format_money(gl_balance(drawer.gl_account))}.")
            link = reverse("admin:cash_cashdrawer_change", args=[drawer.pk])
        else:
            text = (f"The drawer of {_name(drawer.cashier)} was closed with a variance of "
                    f"{format_money(drawer.variance)} that waits for a manager's sign-off.")
            link = reverse("admin:cash_drawer_signoffs")
        items.append(ChecklistItem(key=f"cash.drawer:{drawer.pk}", text=text, link=link))
    return items


def field_cash_not_remitted(business_date) -> list[ChecklistItem]:
    items = []
    for run in (CollectionRun.objects.filter(business_date__lte=business_date)
                .exclude(status=CollectionRun.Status.REMITTED).select_related("banker", "gl_account")
                .order_by("business_date", "pk")):
        if run.status == CollectionRun.Status.OPEN:
            text = (f"{_name(run.banker)} has not remitted the field cash collected since "
                    f"{run.business_date:%d %b}: {format_money(field_cash_expected(run.gl_account))}.")
        else:
            text = (f"The remittance of {_name(run.banker)} for {run.business_date:%d %b} is short or over by "
                    f"{format_money(abs(run.variance or 0))} and waits for a manager's sign-off.")
        items.append(ChecklistItem(key=f"cash.run:{run.pk}", text=text,
                                   link=reverse("admin:cash_collectionrun_change", args=[run.pk])))
    return items


def cash_movements_waiting(business_date) -> list[ChecklistItem]:
    link = reverse("admin:cash_drawer_signoffs")
    return [ChecklistItem(key=f"cash.movement:{movement.pk}", link=link,
                          text=f"{movement.get_kind_display()} of {format_money(movement.amount)} for "
                               f"{_name(movement.drawer.cashier)} waits for a manager's decision.")
            for movement in CashMovement.objects.filter(status=CashMovement.Status.PENDING)
            .select_related("drawer__cashier").order_by("created_at")]


def cheques_not_cleared(business_date) -> list[ChecklistItem]:
    return [ChecklistItem(key=f"cash.cheque:{cheque.pk}",
                          link=reverse("admin:cash_chequedeposit_change", args=[cheque.pk]),
                          text=f"Cheque {cheque.cheque_number} from {cheque.drawer_bank} for "
                               f"{format_money(cheque.amount)} into {cheque.account.account_number} is not yet cleared "
                               f"or bounced.")
            for cheque in ChequeDeposit.objects.filter(status=ChequeDeposit.Status.HELD)
            .select_related("account").order_by("created_at")]
