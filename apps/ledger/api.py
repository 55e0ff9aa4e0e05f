"""Accounts and transactions endpoints of API.md."""

from datetime import date, datetime
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from apps.core.apikit.errors import ApiError
from apps.core.apikit.fields import Amount
from apps.core.apikit.idempotency import IDEMPOTENCY_HEADER, idempotency_key
from apps.core.apikit.pagination import PageNumber
from apps.core.apikit.permissions import require_perm, require_role
from apps.core.roles import Role
from apps.members.selectors import members_visible_to

from . import services
from .models import ZERO, Account, Product, Transaction
from .selectors import account_transactions, accounts_visible_to, transactions_visible_to

accounts_router = Router(tags=["accounts"])
transactions_router = Router(tags=["transactions"])
ROUTERS = [("/accounts/", accounts_router), ("/transactions/", transactions_router)]


def money(value) -> str:
    return f"{value:.2f}"


class AccountOut(Schema):
    id: int
    account_number: str
    account_type: str
    product_name: str
    balance: str
    available_balance: str
    held_balance: str
    status: str
    is_active: bool
    member_id: int
    member_name: str
    opened_at: datetime
    opened_on: date | None = Field(None, description="The business date the account was opened on.")

    @staticmethod
    def resolve_account_type(obj): return obj.product.kind
    @staticmethod
    def resolve_product_name(obj): return obj.product.name
    @staticmethod
    def resolve_balance(obj): return money(obj.balance)
    @staticmethod
    def resolve_available_balance(obj): return money(obj.available_balance)
    @staticmethod
    def resolve_held_balance(obj): return money(obj.held_balance)
    @staticmethod
    def resolve_member_name(obj): return obj.member.full_name
    @staticmethod
    def resolve_opened_at(obj): return obj.created_at


class TransactionOut(Schema):
    id: int
    reference: str
    transaction_type: str
    status: str
    amount: str
    fee: str
    from_account_id: int | None
    to_account_id: int | None
    from_account_number: str | None
    to_account_number: str | None
    description: str
    business_date: date
    created_at: datetime
    completed_at: datetime | None
    reverses_id: int | None
    posted: bool = Field(False, description="true once the money has moved (status completed); a failed, "
                                            "pending or cancelled movement has moved nothing")
    amount_moved: str = Field("0.00", description="what left or reached the account: the amount once completed, "
                                                  "else 0.00")

    @staticmethod
    def resolve_posted(obj): return obj.status == Transaction.Status.COMPLETED
    @staticmethod
    def resolve_amount_moved(obj):
        return money(obj.amount if obj.status == Transaction.Status.COMPLETED else ZERO)
    @staticmethod
    def resolve_amount(obj): return money(obj.amount)
    @staticmethod
    def resolve_fee(obj): return money(obj.fee)
    @staticmethod
    def resolve_from_account_number(obj): return obj.from_account.account_number if obj.from_account else None
    @staticmethod
    def resolve_to_account_number(obj): return obj.to_account.account_number if obj.to_account else None


class AccountOpenIn(Schema):
    member_id: int
    account_type: Literal["daily_susu", "shares", "monthly_contribution"]


class AmountIn(Schema):
    amount: Amount
    description: str = Field("", max_length=255)


class CashIn(AmountIn):
    account_id: int


class TransferIn(AmountIn):
    from_account_id: int
    to_account_number: str = Field(..., min_length=1, max_length=20)


class OtherIn(AmountIn):
    transaction_type: Literal["payment", "fee"]
    account_id: int


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=255)



def visible_account(request, pk: int) -> Account:
    """The account `pk` if the caller may see it; otherwise 404, whether it exists or not."""
    account = accounts_visible_to(request.user).filter(pk=pk).first()
    if account is None:
        raise ApiError(404, "account_not_found", f"There is no account {pk} that you may use.")
    return account


# --- accounts ------------------------------------------------------------------------------

@accounts_router.get("/", response=list[AccountOut], summary="Accounts I may see")
@paginate(PageNumber)
def account_list(request, account_type: str | None = None, status: str | None = None, member_id: int | None = None):
    accounts = accounts_visible_to(request.user).order_by("account_number")
    if account_type:
        accounts = accounts.filter(product__kind=account_type)
    if status:
        accounts = accounts.filter(status=status)
    if member_id:
        accounts = accounts.filter(member_id=member_id)
    return accounts


@accounts_router.post("/", response={201: AccountOut}, summary="Open an account for a member")
def account_open(request, payload: AccountOpenIn):
    require_role(request, Role.CASHIER, Role.MOBILE_BANKER, Role.OPERATIONS_MANAGER)
    member = get_object_or_404(members_visible_to(request.user), pk=payload.member_id)
    product = Product.objects.filter(kind=payload.account_type, is_active=True).order_by("pk").first()
    if product is None:
        raise ApiError(409, "product_unavailable", "That account type is not offered at the moment.")
    account = services.account_open(actor=request.user, member=member, product=product,
                           request=request)
    return Status(201, accounts_visible_to(request.user).get(pk=account.pk))


@accounts_router.get("/{int:account_id}/", response=AccountOut, summary="One account")
def account_detail(request, account_id: int):
    return visible_account(request, account_id)


@accounts_router.get("/{int:account_id}/transactions/", response=list[TransactionOut],
                     summary="The account's transactions, newest first")
@paginate(PageNumber)
def account_transaction_list(request, account_id: int):
    return account_transactions(visible_account(request, account_id), viewer=request.user)


# --- transactions --------------------------------------------------------------------------

@transactions_router.get("/", response=list[TransactionOut], summary="Transactions I may see")
@paginate(PageNumber)
def transaction_list(request, type: str | None = None, status: str | None = None, account: int | None = None):
    found = transactions_visible_to(request.user).order_by("-created_at", "-id")
    if type:
        found = found.filter(transaction_type=type)
    if status:
        found = found.filter(status=status)
    if account:
        found = found.filter(from_account_id=account) | found.filter(to_account_id=account)
    return found


def _created(txn: Transaction):
    """The 201 answer, from the transaction the service returned (its accounts are already loaded,
    except on an idempotent replay): reading it back would cost a query on every movement."""
    return Status(201, txn)


@transactions_router.post("/deposit/", response={201: TransactionOut}, summary="Cash deposit",
                          openapi_extra=IDEMPOTENCY_HEADER)
def deposit(request, payload: CashIn):
    require_role(request, Role.CASHIER, Role.MOBILE_BANKER)
    account = visible_account(request, payload.account_id)
    return _created(services.deposit_create(actor=request.user, account=account,
                                 amount=payload.amount, description=payload.description, channel="api",
                                 idempotency_key=idempotency_key(request)))


@transactions_router.post("/withdrawal/", response={201: TransactionOut}, summary="Cash withdrawal",
                          openapi_extra=IDEMPOTENCY_HEADER)
def withdrawal(request, payload: CashIn):
    require_role(request, Role.CASHIER)
    account = visible_account(request, payload.account_id)
    return _created(services.withdrawal_create(actor=request.user, account=account,
                                 amount=payload.amount, description=payload.description, channel="api",
                                 idempotency_key=idempotency_key(request)))


@transactions_router.post("/transfer/", response={201: TransactionOut}, summary="Transfer to another account",
                          openapi_extra=IDEMPOTENCY_HEADER)
def transfer(request, payload: TransferIn):
    require_role(request, Role.CUSTOMER, Role.CASHIER, Role.MANAGER)
    source = visible_account(request, payload.from_account_id)
    return _created(services.transfer_create(actor=request.user, from_account=source,
                                 to_account_number=payload.to_account_number, amount=payload.amount,
                                 description=payload.description, channel="api",
                                 idempotency_key=idempotency_key(request)))


@transactions_router.post("/", response={201: TransactionOut}, summary="Payment or fee (staff)",
                          openapi_extra=IDEMPOTENCY_HEADER)
def other(request, payload: OtherIn):
    if payload.transaction_type == "payment":
        require_role(request, *services.PAYMENT_ROLES)
        service = services.payment_create
    else:
        require_role(request, *services.FEE_ROLES)
        service = services.fee_charge
    account = visible_account(request, payload.account_id)
    return _created(service(actor=request.user, account=account, amount=payload.amount,
                                 description=payload.description, channel="api",
                                 idempotency_key=idempotency_key(request)))


@transactions_router.get("/{int:transaction_id}/", response=TransactionOut, summary="One transaction")
def transaction_detail(request, transaction_id: int):
    return get_object_or_404(transactions_visible_to(request.user), pk=transaction_id)


@transactions_router.post("/{int:transaction_id}/approve/", response=TransactionOut,
                          summary="Approve a pending transaction (a different manager)")
def approve(request, transaction_id: int):
    require_perm(request, "ledger.approve_transaction", "Only managers approve transactions.")
    txn = get_object_or_404(transactions_visible_to(request.user), pk=transaction_id)
    return services.transaction_approve(actor=request.user, txn=txn, request=request)


@transactions_router.post("/{int:transaction_id}/reject/", response=TransactionOut,
                          summary="Reject a pending transaction")
def reject(request, transaction_id: int, payload: ReasonIn):
    require_perm(request, "ledger.approve_transaction", "Only managers reject transactions.")
    txn = get_object_or_404(transactions_visible_to(request.user), pk=transaction_id)
    return services.transaction_reject(actor=request.user, txn=txn, reason=payload.reason,
                        request=request)


@transactions_router.post("/{int:transaction_id}/reverse/", response={201: TransactionOut},
                          summary="Request a reversal (waits for a second person)")
def reverse(request, transaction_id: int, payload: ReasonIn):
    require_role(request, Role.CASHIER, Role.MANAGER, Role.OPERATIONS_MANAGER, Role.ADMIN)
    txn = get_object_or_404(transactions_visible_to(request.user), pk=transaction_id)
    return _created(services.reversal_request(actor=request.user, original=txn,
                                 reason=payload.reason, request=request))
