"""Loan products and the schedule preview ("Loans" in API.md)."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.db.models import Q
from django.http import FileResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import BeforeValidator, WithJsonSchema

from apps.core.apikit.errors import ApiError
from apps.core.apikit.fields import Amount
from apps.core.apikit.idempotency import IDEMPOTENCY_HEADER, idempotency_key
from apps.core.apikit.pagination import PageNumber
from apps.core.apikit.permissions import require_role
from apps.core.business_day import reporting_date
from apps.core.money import JsonNumber
from apps.core.roles import Role
from apps.ledger.api import TransactionOut
from apps.members.selectors import members_visible_to

from . import applications, chart, services, servicing
from .arrears import BUCKETS
from .models import MAX_RATE, RATE_PLACES, Loan, LoanDocument, LoanGuarantee, LoanProduct, LoanRequest
from .report_api import reports_router

products_router = Router(tags=["loan products"])
loans_router = Router(tags=["loans"])
ROUTERS = [("/loan-products/", products_router), ("/loans/", loans_router), ("/reports/", reports_router)]

PLAIN_RATE = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,6})?")


def _rate(value) -> Decimal:
    """A percentage: digits with at most 6 decimal places (a string, or a JSON number as written)."""
    if isinstance(value, bool):
        raise ValueError("Give the rate as a decimal string, for example \"2.5\".")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, JsonNumber):
        text = value.literal
    elif isinstance(value, str):
        text = value
    else:
        raise ValueError("Give the rate as a decimal string, for example \"2.5\".")
    if not PLAIN_RATE.fullmatch(text):
        raise ValueError(f"Give the rate as a number of at least 0 with at most {RATE_PLACES} decimal places, "
                         "for example \"2.5\".")
    rate = Decimal(text)
    if rate > MAX_RATE:
        raise ValueError(f"A rate cannot be more than {MAX_RATE} %.")
    return rate


Rate = Annotated[Decimal, BeforeValidator(_rate), WithJsonSchema({
    "anyOf": [{"type": "string", "pattern": r"^[0-9]{1,6}(\.[0-9]{1,6})?$"},
              {"type": "number", "minimum": 0, "maximum": 1000}],
    "description": 'A percentage with at most 6 decimal places: "2.00" is 2 %.', "examples": ["2.00"]})]
DaysInYear = Annotated[Literal["actual", "360", "365"],
                       BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v)]


def money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def rate_text(value) -> str:
    """A rate as a decimal string: at least two places, more only where the rate has them ("2.00", "9.4822")."""
    text = f"{Decimal(value).normalize():f}"
    places = len(text.split(".")[1]) if "." in text else 0
    return f"{Decimal(value):.2f}" if places <= 2 else text


AccountRole = Literal["loans_receivable", "interest_income", "interest_receivable", "fee_income", "penalty_income",
                      "provision", "write_off", "recoveries"]
assert {f"{role}_account" for role in AccountRole.__args__} == set(chart.PRODUCT_DEFAULTS)


# --- schemas ---------------------------------------------------------------------------------

class FeeIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    kind: Literal["flat", "percent"]
    amount: Rate = Field(..., description="Cedis (at most 2 places) for a flat fee; percent of the principal "
                                          "for a percent fee.")
    when: Literal["disbursement", "capitalised"] = "disbursement"


class LoanProductIn(Schema):
    code: str = Field(..., min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(..., min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    interest_method: Literal["flat", "declining_balance"]
    amortization: Literal["equal_instalments", "equal_principal"] = "equal_instalments"
    interest_rate: Rate
    interest_rate_period: Literal["month", "year"] = "month"
    interest_calculation: Literal["period", "daily"] = "period"
    days_in_year: DaysInYear = "actual"
    repayment_every: int = Field(1, ge=1, le=52)
    repayment_frequency: Literal["week", "month"] = "month"
    min_term: int = Field(..., ge=1, le=1000)
    max_term: int = Field(..., ge=1, le=1000)
    min_amount: Amount
    max_amount: Amount
    currency_decimals: int = Field(2, ge=0, le=2)
    currency_multiple: Amount | None = None
    instalment_multiple: Amount | None = None
    grace_on_principal: int = Field(0, ge=0, le=1000)
    grace_on_interest: int = Field(0, ge=0, le=1000)
    fees: list[FeeIn] = Field(default_factory=list, max_length=20)
    penalty_rate: Rate = Decimal("0")
    penalty_grace_days: int = Field(0, ge=0, le=1000)
    max_savings_multiple: Amount | None = None
    guarantors_required: int = Field(0, ge=0, le=20)
    is_active: bool = True
    accounts: dict[AccountRole, Annotated[str, Field(min_length=1, max_length=10)]] = Field(
        default_factory=dict, description="GL account codes by role (loans_receivable, interest_income, ...); "
                                          "any left out take the standard chart's account.")


class FeeOut(Schema):
    name: str
    kind: str
    amount: str
    when: str

    @staticmethod
    def resolve_amount(obj):
        return money(obj.amount) if obj.kind == "flat" else rate_text(obj.amount)


class LoanProductOut(Schema):
    id: int
    code: str
    name: str
    description: str
    interest_method: str
    amortization: str
    interest_rate: str
    interest_rate_period: str
    interest_calculation: str
    days_in_year: str
    repayment_every: int
    repayment_frequency: str
    min_term: int
    max_term: int
    min_amount: str
    max_amount: str
    currency_decimals: int
    currency_multiple: str | None
    instalment_multiple: str | None
    grace_on_principal: int
    grace_on_interest: int
    fees: list[FeeOut]
    penalty_rate: str
    penalty_grace_days: int
    max_savings_multiple: str | None
    guarantors_required: int
    is_active: bool
    accounts: dict[str, str]

    @staticmethod
    def resolve_interest_rate(obj): return rate_text(obj.interest_rate)
    @staticmethod
    def resolve_penalty_rate(obj): return rate_text(obj.penalty_rate)
    @staticmethod
    def resolve_min_amount(obj): return money(obj.min_amount)
    @staticmethod
    def resolve_max_amount(obj): return money(obj.max_amount)
    @staticmethod
    def resolve_currency_multiple(obj): return money(obj.currency_multiple)
    @staticmethod
    def resolve_instalment_multiple(obj): return money(obj.instalment_multiple)
    @staticmethod
    def resolve_max_savings_multiple(obj): return money(obj.max_savings_multiple)
    @staticmethod
    def resolve_fees(obj): return list(obj.fees.all())

    @staticmethod
    def resolve_accounts(obj):
        return {field.removesuffix("_account"): getattr(obj, field).code for field in chart.PRODUCT_DEFAULTS}


class SchedulePreviewIn(Schema):
    product_id: int = Field(..., ge=1, le=2**31 - 1)
    principal: Amount
    term: int = Field(..., ge=1, le=1000)
    disbursement_date: date
    first_repayment_date: date | None = None


class InstalmentOut(Schema):
    number: int
    due_date: date
    principal: str
    interest: str
    fees: str
    penalties: str
    total: str
    principal_due_after: str
    paid: str
    status: Literal["pending", "partly_paid", "paid", "overdue"]


class ProductFeeAmountOut(Schema):
    name: str
    when: str
    amount: str


class ScheduleOut(Schema):
    product_id: int
    term: int
    disbursement_date: date
    principal: str
    total_interest: str
    total_fees: str
    total_repayment: str
    instalments: list[InstalmentOut]
    product_fees: list[ProductFeeAmountOut] = Field(
        ..., description="The product's fees on this amount, taken at disbursal (deducted or capitalised), "
                         "outside the instalments.")


# --- endpoints -------------------------------------------------------------------------------

def _product_queryset():
    return LoanProduct.objects.select_related(*chart.PRODUCT_DEFAULTS).prefetch_related("fees")


@products_router.get("/", response=list[LoanProductOut], summary="Active loan products")
@paginate(PageNumber)
def loan_product_list(request):
    return _product_queryset().filter(is_active=True).order_by("name")


@products_router.post("/", response={201: LoanProductOut}, summary="Add a loan product")
def loan_product_create(request, payload: LoanProductIn):
    require_role(request, Role.OPERATIONS_MANAGER)
    fields = payload.dict(exclude={"fees", "accounts"})
    fees = [fee.dict() for fee in payload.fees]
    accounts = {f"{role}_account": code for role, code in payload.accounts.items()}
    product = services.loan_product_create(actor=request.user, fees=fees, accounts=accounts, request=request,
                                           **fields)
    return Status(201, _product_queryset().get(pk=product.pk))


@loans_router.post("/schedule-preview/", response=ScheduleOut, summary="Preview a loan's schedule (nothing saved)")
def schedule_preview(request, payload: SchedulePreviewIn):
    product = LoanProduct.objects.prefetch_related("fees").filter(pk=payload.product_id).first()
    if product is None:
        raise ApiError(404, "loan_product_not_found", f"There is no loan product {payload.product_id}.")
    schedule = services.schedule_preview(product=product, principal=payload.principal, term=payload.term,
                                         disbursement_date=payload.disbursement_date,
                                         first_repayment_date=payload.first_repayment_date)
    return {
        "product_id": product.pk,
        "term": payload.term,
        "disbursement_date": payload.disbursement_date,
        "principal": money(schedule.principal),
        "total_interest": money(schedule.total_interest),
        "total_fees": money(schedule.total_fees),
        "total_repayment": money(schedule.total_repayment),
        "instalments": [{
            "number": row.number, "due_date": row.due_date, "principal": money(row.principal),
            "interest": money(row.interest), "fees": money(row.fees), "penalties": "0.00",
            "total": money(row.total), "principal_due_after": money(row.principal_due_after),
            "paid": "0.00", "status": "pending",
        } for row in schedule.instalments],
        "product_fees": [{"name": fee.name, "when": fee.when, "amount": money(fee.amount)}
                         for fee in services.fee_amounts(product, payload.principal)],
    }


# --- applications ----------------------------------------------------------------------------

class GuarantorIn(Schema):
    member_id: int = Field(..., ge=1, le=2**31 - 1)
    amount: Amount


class LoanApplyIn(Schema):
    product_id: int = Field(..., ge=1, le=2**31 - 1)
    amount: Amount
    term: int = Field(..., ge=1, le=1000)
    purpose: str = Field(..., min_length=1, max_length=255)
    account_id: int = Field(..., ge=1, le=2**31 - 1)
    member_id: int | None = Field(None, ge=1, le=2**31 - 1, description="Staff: the member the loan is for.")
    guarantors: list[GuarantorIn] = Field(default_factory=list, max_length=10)


class OutstandingOut(Schema):
    principal: str
    interest: str
    fees: str
    penalties: str
    total: str


class LoanOut(Schema):
    id: int
    number: str
    member_id: int
    product_id: int
    status: str
    principal: str
    term: int
    rate: str
    disbursed_on: date | None
    outstanding: OutstandingOut
    days_in_arrears: int
    delinquency_bucket: str
    next_due: date | None
    created_by: int

    @staticmethod
    def resolve_principal(obj): return money(obj.principal)
    @staticmethod
    def resolve_rate(obj): return rate_text(obj.interest_rate)
    @staticmethod
    def resolve_created_by(obj): return obj.created_by_id

    @staticmethod
    def resolve_outstanding(obj):
        owed = servicing.loan_outstanding(obj, list(obj.instalments.all()))
        return {key: money(value) for key, value in owed.items()}

    @staticmethod
    def resolve_next_due(obj):
        return servicing.next_due(obj, list(obj.instalments.all()))


class ApproveIn(Schema):
    approved_amount: Amount | None = None
    note: str = Field("", max_length=2000)


class RejectIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


class GuaranteeAcceptIn(Schema):
    account_id: int | None = Field(None, ge=1, le=2**31 - 1,
                                   description="Your savings account to hold the pledge on (default: the one with "
                                               "the most available).")


Bucket = Literal[tuple(name for name, _, _ in BUCKETS)]



def _visible_loan(request, loan_id: int) -> Loan:
    loan = applications.loans_visible_to(request.user).prefetch_related("instalments").filter(pk=loan_id).first()
    if loan is None:
        raise ApiError(404, "loan_not_found", f"There is no loan {loan_id} that you may see.")
    return loan


@loans_router.get("/", response=list[LoanOut], summary="Loans (customer: own; staff: as permitted)")
@paginate(PageNumber)
def loan_list(request, status: Literal[tuple(Loan.Status.values)] | None = None,
              member: int | None = Query(None, ge=1, le=2**31 - 1),
              officer: int | None = Query(None, ge=1, le=2**31 - 1), bucket: Bucket | None = None):
    """`bucket` is the arrears bucket (current, 1-30, 31-60, 61-90, 91-180, over-180) from the loan's days in
    arrears; a loan that is not active is "current"."""
    loans = applications.loans_visible_to(request.user)
    if status:
        loans = loans.filter(status=status)
    if member:
        loans = loans.filter(member_id=member)
    if officer:
        loans = loans.filter(officer_id=officer)
    if bucket:
        _, first, last = next(row for row in BUCKETS if row[0] == bucket)
        if bucket == "current":
            loans = loans.filter(~Q(status=Loan.Status.ACTIVE) | Q(days_in_arrears=0))
        else:
            loans = loans.filter(status=Loan.Status.ACTIVE, days_in_arrears__gte=first)
            if last is not None:
                loans = loans.filter(days_in_arrears__lte=last)
    return loans.prefetch_related("instalments").order_by("-created_at", "-pk")


@loans_router.post("/", response={201: LoanOut}, summary="Apply for a loan")
def loan_apply(request, payload: LoanApplyIn):
    """An application moves no money (like opening an account), so an Idempotency-Key is optional; sent, a
    retry with the same key and body answers the first application (another body with it: 409)."""
    require_role(request, *applications.APPLY_ROLES)
    product = LoanProduct.objects.prefetch_related("fees").filter(pk=payload.product_id).first()
    if product is None:
        raise ApiError(404, "loan_product_not_found", f"There is no loan product {payload.product_id}.")
    member = None
    if request.user.role != Role.CUSTOMER:
        if payload.member_id is None:
            raise ApiError(422, "invalid", "member_id: Name the member the loan is for.",
                           errors=[{"field": "member_id", "message": "Name the member the loan is for."}])
        member = members_visible_to(request.user).filter(pk=payload.member_id).first()
        if member is None:
            raise ApiError(404, "member_not_found", f"There is no member {payload.member_id} that you may see.")
    guarantors = [{"member": row.member_id, "amount": row.amount} for row in payload.guarantors]
    loan = applications.loan_apply(actor=request.user, product=product, amount=payload.amount,
                      term=payload.term, purpose=payload.purpose, account=payload.account_id, member=member,
                      guarantors=guarantors, request=request,
                      idempotency_key=idempotency_key(request) if request.headers.get("Idempotency-Key") else None)
    return Status(201, _visible_loan(request, loan.pk))


@loans_router.get("/{int:loan_id}/", response=LoanOut, summary="One loan")
def loan_detail(request, loan_id: int):
    return _visible_loan(request, loan_id)


@loans_router.post("/{int:loan_id}/approve/", response=LoanOut, summary="Approve an application (four eyes)")
def loan_approve(request, loan_id: int, payload: ApproveIn):
    require_role(request, Role.MANAGER)
    loan = _visible_loan(request, loan_id)
    applications.loan_approve(actor=request.user, loan=loan, approved_amount=payload.approved_amount,
               note=payload.note, request=request)
    return _visible_loan(request, loan_id)


@loans_router.post("/{int:loan_id}/reject/", response=LoanOut, summary="Reject an application")
def loan_reject(request, loan_id: int, payload: RejectIn):
    require_role(request, Role.MANAGER)
    loan = _visible_loan(request, loan_id)
    applications.loan_reject(actor=request.user, loan=loan, reason=payload.reason, request=request)
    return _visible_loan(request, loan_id)


class GuaranteeOut(Schema):
    id: int
    loan_id: int
    guarantor_id: int
    account_id: int | None
    amount: str
    status: str
    decided_at: datetime | None

    @staticmethod
    def resolve_amount(obj): return money(obj.amount)


class GuaranteeRequestOut(GuaranteeOut):
    loan_number: str
    applicant: str
    loan_amount: str

    @staticmethod
    def resolve_loan_number(obj): return obj.loan.number
    @staticmethod
    def resolve_applicant(obj): return obj.loan.member.full_name
    @staticmethod
    def resolve_loan_amount(obj): return money(obj.loan.amount)


@loans_router.get("/guarantee-requests/", response=list[GuaranteeRequestOut],
                  summary="Guarantee requests waiting for your answer (customer)")
def guarantee_requests(request):
    require_role(request, Role.CUSTOMER)
    return list(applications.open_guarantee_requests(request.user))


def _my_guarantee(request, loan_id: int) -> LoanGuarantee:
    require_role(request, Role.CUSTOMER)
    guarantee = (LoanGuarantee.objects.filter(loan_id=loan_id, guarantor__user=request.user)
                 .select_related("loan", "guarantor").first())
    if guarantee is None:
        raise ApiError(404, "guarantee_not_found", f"You have no guarantee request on loan {loan_id}.")
    return guarantee


@loans_router.post("/{int:loan_id}/guarantee/accept/", response=GuaranteeOut,
                   summary="Accept a guarantee request (holds the pledge on your savings)")
def guarantee_accept(request, loan_id: int, payload: GuaranteeAcceptIn | None = None):
    guarantee = _my_guarantee(request, loan_id)
    account_id = payload.account_id if payload is not None else None
    return applications.guarantee_accept(actor=request.user, guarantee=guarantee, account=account_id,
                      request=request)


@loans_router.post("/{int:loan_id}/guarantee/decline/", response=GuaranteeOut, summary="Decline a guarantee request")
def guarantee_decline(request, loan_id: int):
    guarantee = _my_guarantee(request, loan_id)
    return applications.guarantee_decline(actor=request.user, guarantee=guarantee, request=request)


# --- documents (outside API.md's table: upload and permission-checked download) ----------------

class LoanDocumentOut(Schema):
    id: int
    loan_id: int
    kind: str
    uploaded_at: datetime


@loans_router.get("/{int:loan_id}/documents/", response=list[LoanDocumentOut], summary="A loan's documents")
def loan_documents(request, loan_id: int):
    return list(_visible_loan(request, loan_id).documents.all())


@loans_router.post("/{int:loan_id}/documents/", response={201: LoanDocumentOut},
                   summary="Upload a document (multipart: kind, file; PDF, JPEG or PNG up to 5 MB)")
def loan_document_upload(request, loan_id: int, kind: Form[Literal[tuple(LoanDocument.Kind.values)]],
                         file: File[UploadedFile]):
    loan = _visible_loan(request, loan_id)
    document = applications.loan_document_add(actor=request.user, loan=loan, kind=kind, file=file,
                          request=request)
    return Status(201, document)


@loans_router.get("/{int:loan_id}/documents/{int:document_id}/", summary="Download a document",
                  response={200: None})
def loan_document_download(request, loan_id: int, document_id: int):
    """The file itself, to whoever may see the loan (the owner, or staff as permitted); 404 otherwise."""
    document = _visible_loan(request, loan_id).documents.filter(pk=document_id).first()
    if document is None:
        raise ApiError(404, "document_not_found", f"There is no document {document_id} on loan {loan_id}.")
    return FileResponse(document.file.open("rb"), as_attachment=True,
                        filename=document.file.name.rsplit("/", 1)[-1])


# --- servicing -------------------------------------------------------------------------------

class DisburseIn(Schema):
    disbursement_date: date | None = Field(None, description="Default: the open business date.")
    channel: Literal["account", "cash"] = Field(
        "account", description="account: into the member's account; cash: paid from the cashier's drawer.")


class LoanScheduleOut(Schema):
    loan_id: int
    principal: str
    total_interest: str
    total_fees: str
    total_repayment: str
    instalments: list[InstalmentOut]


class PaymentIn(Schema):
    amount: Amount
    from_account_id: int | None = Field(None, ge=1, le=2**31 - 1,
                                        description="channel account: the member's account (default: the loan's).")
    channel: Literal["cash", "account", "field"] | None = Field(
        None, description="Default by role: customer account, cashier cash, mobile banker field.")


class AllocationOut(Schema):
    penalties: str
    fees: str
    interest: str
    principal: str


class PaymentOut(Schema):
    transaction: TransactionOut
    allocation: AllocationOut
    outstanding: OutstandingOut


class PayoffOut(Schema):
    date: date
    principal: str
    interest: str
    fees: str
    penalties: str
    total: str


class WriteOffIn(Schema):
    reason: str = Field(..., min_length=1, max_length=255)


class LoanRequestOut(Schema):
    id: int
    loan_id: int
    loan_status: str
    kind: str
    status: str
    reason: str
    amount: str | None
    value_date: date | None
    requested_by: int
    decided_by: int | None
    decision_note: str

    @staticmethod
    def resolve_amount(obj): return money(obj.amount)
    @staticmethod
    def resolve_loan_status(obj): return obj.loan.status
    @staticmethod
    def resolve_requested_by(obj): return obj.requested_by_id
    @staticmethod
    def resolve_decided_by(obj): return obj.decided_by_id


class RequestRejectIn(Schema):
    reason: str = Field(..., min_length=1, max_length=255)


def _money_dict(values: dict) -> dict:
    return {key: money(value) if isinstance(value, Decimal) else value for key, value in values.items()}


class DisbursedOut(LoanOut):
    transaction: TransactionOut


@loans_router.post("/{int:loan_id}/disburse/", response={201: DisbursedOut}, summary="Disburse an approved loan",
                   openapi_extra=IDEMPOTENCY_HEADER)
def loan_disburse(request, loan_id: int, payload: DisburseIn):
    """201 with the loan (status `active`) and the ledger transaction that paid it out."""
    require_role(request, *servicing.DISBURSE_ROLES)
    loan = _visible_loan(request, loan_id)
    result = servicing.loan_disburse(actor=request.user, loan=loan, disbursement_date=payload.disbursement_date,
                                     channel=payload.channel, idempotency_key=idempotency_key(request),
                                     request=request)
    loan = _visible_loan(request, loan_id)
    loan.transaction = result.transaction
    return Status(201, loan)


@loans_router.get("/{int:loan_id}/schedule/", response=LoanScheduleOut,
                  summary="The loan's schedule, with what is paid")
def loan_schedule(request, loan_id: int):
    loan = _visible_loan(request, loan_id)
    if loan.status not in (Loan.Status.ACTIVE, Loan.Status.CLOSED, Loan.Status.WRITTEN_OFF):
        raise ApiError(409, "loan_not_disbursed", f"Loan {loan.number} has no schedule until it is disbursed; "
                                                  "preview one with /api/loans/schedule-preview/.")
    schedule = servicing.loan_schedule(loan, reporting_date())
    return {"loan_id": loan.pk, **_money_dict({k: v for k, v in schedule.items() if k != "instalments"}),
            "instalments": [_money_dict(row) for row in schedule["instalments"]]}


@loans_router.post("/{int:loan_id}/make_payment/", response={201: PaymentOut}, summary="Repay a loan",
                   openapi_extra=IDEMPOTENCY_HEADER)
def loan_make_payment(request, loan_id: int, payload: PaymentIn):
    loan = _visible_loan(request, loan_id)
    key = idempotency_key(request)
    result = servicing.loan_repay(actor=request.user, loan=loan, amount=payload.amount, channel=payload.channel,
                                  from_account=payload.from_account_id, idempotency_key=key, request=request)
    owed = servicing.loan_outstanding(loan)
    return Status(201, {"transaction": result.transaction,
                        "allocation": {c: money(getattr(result, c)) for c in ("penalties", "fees", "interest",
                                                                             "principal")},
                        "outstanding": _money_dict(owed)})


@loans_router.get("/{int:loan_id}/payoff-quote/", response=PayoffOut, summary="What closes the loan on a date")
def loan_payoff_quote(request, loan_id: int, date: date | None = None):  # noqa: A002 - the API's parameter name
    loan = _visible_loan(request, loan_id)
    return _money_dict(servicing.payoff_quote(loan, date or reporting_date()))


@loans_router.post("/{int:loan_id}/write-off/", response={201: LoanRequestOut},
                   summary="Write a loan off: asked by a manager, approved by a second manager")
def loan_write_off(request, loan_id: int, payload: WriteOffIn):
    """The first manager's call records the write-off `pending`; a second manager's call on the same
    loan approves it (`approved`: the loan is `written_off`). Nothing is posted until then."""
    require_role(request, Role.MANAGER)
    loan = _visible_loan(request, loan_id)
    return Status(201, servicing.loan_write_off(actor=request.user, loan=loan, reason=payload.reason,
                                                request=request))


def _staff_request(request, request_id: int) -> LoanRequest:
    require_role(request, Role.MANAGER)
    found = LoanRequest.objects.filter(pk=request_id).first()
    if found is None:
        raise ApiError(404, "loan_request_not_found", f"There is no loan request {request_id}.")
    return found


@loans_router.post("/requests/{int:request_id}/approve/", response=LoanRequestOut,
                   summary="Approve a write-off, disbursal reversal or backdated repayment (another manager)")
def loan_request_approve(request, request_id: int):
    found = _staff_request(request, request_id)
    return servicing.loan_request_approve(actor=request.user, loan_request=found, request=request)


@loans_router.post("/requests/{int:request_id}/reject/", response=LoanRequestOut, summary="Reject a loan request")
def loan_request_reject(request, request_id: int, payload: RequestRejectIn):
    found = _staff_request(request, request_id)
    return servicing.loan_request_reject(actor=request.user, loan_request=found, reason=payload.reason,
                                         request=request)
