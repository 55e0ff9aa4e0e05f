"""Reads shared by the admin, the portal and the API. Access rules live here, once."""

from django.db.models import Q, Sum

from apps.core.roles import Role
from apps.members.selectors import members_visible_to

from .models import ZERO, Account, Posting, Transaction


def accounts_visible_to(user):
    base = Account.objects.select_related("product", "member")
    if not user.is_authenticated:
        return base.none()
    if user.role in (Role.CUSTOMER, Role.MOBILE_BANKER):
        return base.filter(member__in=members_visible_to(user))
    return base if user.is_staff else base.none()


def _refusals_seen_by(user) -> Q:
    """A refused (failed) movement is shown to staff in the back office and, outside it, only to the
    person who attempted it: its reason may quote someone else's balance or a cashier's daily total."""
    if user.role in (Role.CUSTOMER, Role.MOBILE_BANKER):
        return ~Q(status=Transaction.Status.FAILED) | Q(initiated_by=user)
    return Q()


def transactions_visible_to(user):
    base = Transaction.objects.select_related("from_account", "to_account", "initiated_by")
    if not user.is_authenticated:
        return base.none()
    if user.role in (Role.CUSTOMER, Role.MOBILE_BANKER):
        accounts = accounts_visible_to(user).values("pk")
        return base.filter(Q(from_account__in=accounts) | Q(to_account__in=accounts)).filter(_refusals_seen_by(user))
    return base if user.is_staff else base.none()


def account_transactions(account: Account, *, viewer):
    """The account's transactions, newest first, as `viewer` may see them (an account they may see)."""
    return (Transaction.objects.filter(Q(from_account=account) | Q(to_account=account))
            .filter(_refusals_seen_by(viewer))
            .select_related("from_account", "to_account").order_by("-created_at", "-id"))


def pending_approvals():
    return (Transaction.objects.filter(status=Transaction.Status.PENDING)
            .select_related("from_account__member", "to_account__member", "initiated_by", "reverses")
            .order_by("created_at"))


def account_movements(account: Account, *, limit: int | None = None):
    """Postings on the account with a signed amount (credit-normal: credits add), newest first."""
    postings = (Posting.objects.filter(account=account).select_related("entry", "entry__transaction", "gl_account")
                .order_by("-entry__business_date", "-entry_id", "-id"))
    return postings[:limit] if limit else postings


def posted_balance(account: Account):
    totals = Posting.objects.filter(account=account).aggregate(d=Sum("debit"), c=Sum("credit"))
    return account.product.control_account.balance_change(totals["d"] or ZERO, totals["c"] or ZERO)
