"""The member's own banking in the portal: accounts, movements and transfers.

Every read goes through the ledger selectors (a member sees only their own accounts: anything
else is a 404) and every transfer through `transfer_create`, the same path as the API.
"""

import uuid
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from apps.core.business_day import reporting_date
from apps.core.forms import AmountField
from apps.core.money import format_money, in_currency
from apps.core.roles import Role
from apps.ledger import services
from apps.ledger.contributions import account_standing
from apps.ledger.errors import LedgerError
from apps.ledger.selectors import account_transactions, accounts_visible_to, transactions_visible_to


def account_choices(accounts) -> list[tuple[int, str]]:
    """A member's accounts to pay from, each with what is available on it."""
    return [(a.pk, f"{a.product.name} {a.account_number} — available {format_money(a.available_balance)}")
            for a in accounts]

class TransferForm(forms.Form):
    from_account = forms.TypedChoiceField(label="From", coerce=int)
    to_account_number = forms.CharField(label="To account number", max_length=12)
    amount = AmountField(label=in_currency("Amount"),
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}))
    description = forms.CharField(label="Reference (optional)", max_length=120, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.accounts = {a.pk: a for a in accounts}
        self.fields["from_account"].choices = account_choices(accounts)


    def clean_to_account_number(self):
        return self.cleaned_data["to_account_number"].strip().replace(" ", "")


def masked_name(name: str) -> str:
    """A payee's name as a sender may see it before sending: enough to recognise the person they
    mean, not enough to learn an account holder's name from a number ("Esi Quaye" -> "Es* Qu***")."""
    words = []
    for word in (name or "").split():
        keep = 1 if len(word) <= 2 else 2
        words.append(word[:keep] + "*" * (len(word) - keep))
    return " ".join(words)


def member_required(view):
    """The portal's banking pages are for members: staff work in the staff console, where their
    wider access is audited and limited by role."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.role != Role.CUSTOMER:
            return render(request, "portal/banking/staff_redirect.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


@member_required
def account_list(request):
    accounts = accounts_visible_to(request.user).order_by("product__name")
    return render(request, "portal/banking/accounts.html", {"accounts": accounts})


@member_required
def account_detail(request, pk: int):
    account = get_object_or_404(accounts_visible_to(request.user), pk=pk)
    page = Paginator(account_transactions(account, viewer=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "portal/banking/account_detail.html", {
        "account": account, "page": page, "standing": account_standing(account, reporting_date())})


@member_required
def transfer(request):
    accounts = list(accounts_visible_to(request.user).filter(status="active").order_by("product__name"))
    if request.method != "POST":
        form = TransferForm(accounts=accounts, initial={"idempotency_key": uuid.uuid4().hex,
                                                        "from_account": request.GET.get("from")})
        return render(request, "portal/banking/transfer.html", {"form": form})
    form = TransferForm(request.POST, accounts=accounts)
    if not form.is_valid():
        return render(request, "portal/banking/transfer.html", {"form": form}, status=422)
    data = form.cleaned_data
    source = form.accounts.get(data["from_account"])
    # Review (no "confirm") runs every check posting runs and posts nothing: an unknown or the same
    # account, short funds, a limit, an account that cannot receive... never reach the confirm page.
    review = "confirm" not in request.POST
    try:
        result = services.transfer_create(actor=request.user, from_account=source,
                                          to_account_number=data["to_account_number"], amount=data["amount"],
                                          description=data["description"], channel="portal",
                                          idempotency_key=f"portal-{data['idempotency_key']}", review=review)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return render(request, "portal/banking/transfer.html", {"form": form}, status=422)
    except (LedgerError, PermissionDenied) as exc:
        form.add_error(None, getattr(exc, "message", str(exc)))
        return render(request, "portal/banking/transfer.html", {"form": form}, status=409)
    if review:
        payee = result.txn.to_account
        return render(request, "portal/banking/transfer_confirm.html", {
            "form": form, "source": source, "data": data, "payee_number": payee.account_number,
            "payee_name": masked_name(payee.member.full_name), "fee": result.fee,
            "total": data["amount"] + result.fee, "needs_approval": result.needs_approval})
    txn = result
    if txn.status == txn.Status.PENDING:
        messages.info(request, f"Transfer {txn.reference} is waiting for approval by the credit union; "
                               "the amount is held on your account until then.")
    else:
        messages.success(request, f"Transfer {txn.reference} is complete.")
    return redirect("portal:transaction", pk=txn.pk)


@member_required
def transaction_detail(request, pk: int):
    txn = get_object_or_404(transactions_visible_to(request.user), pk=pk)
    return render(request, "portal/banking/transaction.html", {"txn": txn})
