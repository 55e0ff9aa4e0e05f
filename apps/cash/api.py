"""Cash drawer, cash advance, cheque and field collection endpoints of API.md."""

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from apps.core.apikit.errors import ApiError
from apps.core.apikit.fields import Amount
from apps.core.apikit.idempotency import IDEMPOTENCY_HEADER, idempotency_key
from apps.core.apikit.permissions import require_perm, require_role
from apps.core.roles import Role
from apps.ledger.api import TransactionOut, money, visible_account

from . import services
from .models import CashDrawer, CashMovement, ChequeDeposit

drawers_router = Router(tags=["cash drawers"])
advances_router = Router(tags=["cash advances"])
cheques_router = Router(tags=["cheque deposits"])
field_router = Router(tags=["field collections"])
ROUTERS = [
    ("/cash-drawers/", drawers_router),
    ("/cash-advances/", advances_router),
    ("/cheque-deposits/", cheques_router),
    ("/field-collections/", field_router),
]



class CountIn(Schema):
    denominations: dict[str, Any] = Field(..., description='{"200.00": 5, "0.50": 10}')


class CloseIn(CountIn):
    total: str | None = Field(None, description="Optional: the total the cashier counted; must match the counts")


class DrawerOut(Schema):
    id: int
    cashier_id: int
    business_date: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    opening_balance: str
    expected_balance: str
    counted_balance: str | None
    variance: str | None

    @staticmethod
    def resolve_business_date(obj): return obj.business_date.isoformat()
    @staticmethod
    def resolve_opening_balance(obj): return money(obj.opening_balance)
    @staticmethod
    def resolve_expected_balance(obj):
        value = obj.expected_balance if obj.status != CashDrawer.Status.OPEN else services.drawer_expected(obj)
        return money(value)
    @staticmethod
    def resolve_counted_balance(obj): return money(obj.counted_balance) if obj.counted_balance is not None else None
    @staticmethod
    def resolve_variance(obj): return money(obj.variance) if obj.variance is not None else None


class FloatIn(Schema):
    cashier_id: int
    amount: Amount


class FloatOut(Schema):
    id: int
    cashier_id: int
    business_date: str
    amount: str

    @staticmethod
    def resolve_business_date(obj): return obj.business_date.isoformat()
    @staticmethod
    def resolve_amount(obj): return money(obj.amount)


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=255)


class AdvanceIn(Schema):
    amount: Amount
    reason: str = Field(..., min_length=1, max_length=255)


class MovementOut(Schema):
    id: int
    kind: str
    drawer_id: int
    amount: str
    reason: str
    status: str
    requested_by_id: int
    decided_by_id: int | None
    decision_note: str

    @staticmethod
    def resolve_amount(obj): return money(obj.amount)


class ChequeIn(Schema):
    account_id: int
    amount: Amount
    drawer_bank: str = Field(..., min_length=1, max_length=120)
    cheque_number: str = Field(..., min_length=1, max_length=32)


class BounceIn(Schema):
    reason: str = Field(..., min_length=1, max_length=255)
    fee: str | None = None


class ChequeOut(Schema):
    id: int
    account_id: int
    amount: str
    drawer_bank: str
    cheque_number: str
    status: str
    transaction_id: int
    bounce_fee: str

    @staticmethod
    def resolve_amount(obj): return money(obj.amount)
    @staticmethod
    def resolve_bounce_fee(obj): return money(obj.bounce_fee)


class SheetRow(Schema):
    account_id: int
    account_number: str
    member_name: str
    member_phone: str
    daily_amount: str
    paid_this_cycle: str
    collected_today: str
    last_collection_amount: str | None = None
    last_collection_at: datetime | None = None

    @staticmethod
    def resolve_daily_amount(obj): return money(obj["daily_amount"])
    @staticmethod
    def resolve_paid_this_cycle(obj): return money(obj["paid_this_cycle"])
    @staticmethod
    def resolve_collected_today(obj): return money(obj["collected_today"])
    @staticmethod
    def resolve_last_collection_amount(obj):
        return money(obj["last_collection_amount"]) if obj["last_collection_amount"] is not None else None


class CollectIn(Schema):
    account_id: int
    amount: Amount
    confirm: bool = Field(False, description="true to collect again the same day, or above the configured multiple "
                                             "of the member's daily amount (409 confirmation_required otherwise)")
    note: str = Field("", max_length=200, description="Why: required with confirm above the multiple")


class CollectionOut(TransactionOut):
    receipt_text: str

    @staticmethod
    def resolve_receipt_text(obj): return services.receipt_text(obj)


class RemitIn(CountIn):
    cashier_id: int


class RunOut(Schema):
    id: int
    business_date: str
    status: str
    remitted_to_id: int | None
    expected_amount: str | None
    counted_amount: str | None
    variance: str | None
    variance_decision: str = Field("", description="`approved` or `rejected` once a manager decided a variance "
                                                   "above tolerance (status `pending_approval` until then)")

    @staticmethod
    def resolve_business_date(obj): return obj.business_date.isoformat()
    @staticmethod
    def resolve_expected_amount(obj): return money(obj.expected_amount) if obj.expected_amount is not None else None
    @staticmethod
    def resolve_counted_amount(obj): return money(obj.counted_amount) if obj.counted_amount is not None else None
    @staticmethod
    def resolve_variance(obj): return money(obj.variance) if obj.variance is not None else None


# --- drawers --------------------------------------------------------------------------------

@drawers_router.post("/float/", response={201: FloatOut}, summary="Issue today's float to a cashier (manager)")
def issue_float(request, payload: FloatIn):
    require_perm(request, "cash.approve_drawer", "Only managers issue cashier floats.")
    cashier = get_object_or_404(get_user_model(), pk=payload.cashier_id)
    return Status(201, services.float_issue(actor=request.user, cashier=cashier, amount=payload.amount,
                             request=request))


@drawers_router.post("/open/", response={201: DrawerOut}, summary="Open my drawer with the counted float")
def drawer_open(request, payload: CountIn):
    require_role(request, Role.CASHIER)
    return Status(201, services.drawer_open(actor=request.user, denominations=payload.denominations,
                             request=request))


@drawers_router.get("/current/", response=DrawerOut, summary="My drawer that is not yet closed")
def drawer_current(request):
    require_role(request, Role.CASHIER)
    drawer = services.current_drawer(request.user)
    if drawer is None:
        raise ApiError(404, "not_found", "You have no open drawer.")
    return drawer


@drawers_router.post("/{int:drawer_id}/close/", response=DrawerOut, summary="Count and close my drawer")
def drawer_close(request, drawer_id: int, payload: CloseIn):
    require_role(request, Role.CASHIER)
    drawer = get_object_or_404(CashDrawer, pk=drawer_id, cashier=request.user)
    return services.drawer_close(actor=request.user, drawer=drawer, denominations=payload.denominations,
                 total=payload.total, request=request)


@drawers_router.post("/{int:drawer_id}/approve-close/", response=DrawerOut,
                     summary="Sign off a drawer variance above tolerance (manager)")
def drawer_approve_close(request, drawer_id: int, payload: ReasonIn):
    require_perm(request, "cash.approve_drawer", "Only managers sign off drawer variances.")
    drawer = get_object_or_404(CashDrawer, pk=drawer_id)
    return services.drawer_approve_close(actor=request.user, drawer=drawer, note=payload.reason,
                 request=request)


# --- advances and returns ---------------------------------------------------------------------

@advances_router.post("/", response={201: MovementOut}, summary="Ask for more float from the vault")
def advance_request(request, payload: AdvanceIn):
    return Status(201, services.cash_movement_request(actor=request.user, kind=CashMovement.Kind.ADVANCE,
                             amount=payload.amount, reason=payload.reason, request=request))


@advances_router.post("/return/", response={201: MovementOut}, summary="Ask to return cash to the vault")
def return_request(request, payload: AdvanceIn):
    return Status(201, services.cash_movement_request(actor=request.user, kind=CashMovement.Kind.RETURN,
                             amount=payload.amount, reason=payload.reason, request=request))


@advances_router.post("/{int:movement_id}/approve/", response=MovementOut, summary="Approve (manager)")
def advance_approve(request, movement_id: int):
    require_perm(request, "cash.approve_drawer", "Only managers decide cash advances and returns.")
    movement = get_object_or_404(CashMovement, pk=movement_id)
    return services.cash_movement_approve(actor=request.user, movement=movement, request=request)


@advances_router.post("/{int:movement_id}/reject/", response=MovementOut, summary="Reject (manager)")
def advance_reject(request, movement_id: int, payload: ReasonIn):
    require_perm(request, "cash.approve_drawer", "Only managers decide cash advances and returns.")
    movement = get_object_or_404(CashMovement, pk=movement_id)
    return services.cash_movement_reject(actor=request.user, movement=movement, reason=payload.reason,
                 request=request)


# --- cheques ---------------------------------------------------------------------------------

@cheques_router.post("/", response={201: ChequeOut}, summary="Deposit a cheque (held until cleared)",
                     openapi_extra=IDEMPOTENCY_HEADER)
def cheque_deposit(request, payload: ChequeIn):
    require_role(request, Role.CASHIER)
    account = visible_account(request, payload.account_id)
    return Status(201, services.cheque_deposit(actor=request.user, account=account, amount=payload.amount,
                             drawer_bank=payload.drawer_bank, cheque_number=payload.cheque_number,
                             idempotency_key=idempotency_key(request), request=request))


@cheques_router.post("/{int:cheque_id}/clear/", response=ChequeOut, summary="Cleared: release the hold")
def cheque_clear(request, cheque_id: int):
    require_perm(request, "cash.clear_cheque", "Only operations managers clear or bounce cheques.")
    cheque = get_object_or_404(ChequeDeposit, pk=cheque_id)
    return services.cheque_clear(actor=request.user, cheque=cheque, request=request)


@cheques_router.post("/{int:cheque_id}/bounce/", response=ChequeOut, summary="Bounced: remove the credit")
def cheque_bounce(request, cheque_id: int, payload: BounceIn):
    require_perm(request, "cash.clear_cheque", "Only operations managers clear or bounce cheques.")
    cheque = get_object_or_404(ChequeDeposit, pk=cheque_id)
    return services.cheque_bounce(actor=request.user, cheque=cheque, reason=payload.reason, fee=payload.fee,
                 request=request)


# --- field collection ------------------------------------------------------------------------

@field_router.get("/sheet/", response=list[SheetRow], summary="My assigned members' Daily Susu accounts")
def sheet(request):
    require_role(request, Role.MOBILE_BANKER)
    return services.collection_sheet(banker=request.user)


@field_router.post("/", response={201: CollectionOut}, summary="Record a collection (send Idempotency-Key)",
                   openapi_extra=IDEMPOTENCY_HEADER)
def collect(request, payload: CollectIn):
    require_role(request, Role.MOBILE_BANKER)
    account = visible_account(request, payload.account_id)
    txn = services.field_collect(actor=request.user, account=account, amount=payload.amount,
                confirm=payload.confirm, note=payload.note, idempotency_key=idempotency_key(request))
    return Status(201, txn)


@field_router.post("/remit/", response={201: RunOut},
                   summary="Hand today's collections to a cashier (status pending_approval when the variance is "
                           "above tolerance)")
def remit(request, payload: RemitIn):
    require_role(request, Role.MOBILE_BANKER)
    cashier = get_object_or_404(get_user_model(), pk=payload.cashier_id, role=Role.CASHIER)
    return Status(201, services.field_remit(actor=request.user, cashier=cashier,
                             denominations=payload.denominations, request=request))
