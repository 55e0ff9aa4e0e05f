"""The service desk's rules. The API, the console and the portal call these; nothing else writes a
request.

A refusal is a `ValidationError` (bad input, 422), `PermissionDenied` (403), `Http404` (a request the
caller may not see answers as one that does not exist) or `ServiceDeskRefused` (a rule, 409); nothing is
stored when one is raised. Every change is one atomic block with its history row, its audit row and the
member's notification (sent after the commit by `messaging.services.notify`).

- Statuses move `open → in_progress → waiting_customer → resolved | rejected` (TRANSITIONS); a closed
  request moves no more.
- An account change (address, phone, next of kin) is applied to the member only when staff resolve it,
  through `members.services.member_update`.
- A refund is resolved in two steps: the member of staff who resolves it asks for the refund
  (`refund_state` "waiting"), and a second person holding `servicedesk.approve_refund` approves it; only
  then is the amount posted to the member's account through the ledger's posting engine, once.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from apps.audit.services import record
from apps.core.business_day import BusinessDayClosed, current_business_date
from apps.core.calendar import working_calendar
from apps.core.errors import RuleRefused
from apps.core.money import InvalidAmount, format_money, parse_amount
from apps.core.roles import Role
from apps.core.text import has_control_characters
from apps.ledger import chart
from apps.ledger.models import Account, Transaction
from apps.ledger.posting import Entry, entry_post, lock_accounts, new_reference, reference
from apps.ledger.services import plan_lines
from apps.members.models import Member
from apps.members.services import member_update
from apps.messaging.services import check_attachment, notify

from .models import (
    CLOSED,
    DEFAULT_SERVICE_LEVELS,
    MAX_BODY_CHARS,
    MAX_NOTE_CHARS,
    MAX_SUBJECT_CHARS,
    Kind,
    ServiceLevel,
    ServiceRequest,
    ServiceRequestAttachment,
    ServiceRequestNote,
    Status,
    StatusChange,
)

# Who works the queue: the same people as the messages' service desk.
DESK_ROLES = (Role.CASHIER, Role.MANAGER, Role.OPERATIONS_MANAGER)
TRANSITIONS = {
    Status.OPEN: (Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.REJECTED),
    Status.IN_PROGRESS: (Status.WAITING_CUSTOMER, Status.RESOLVED, Status.REJECTED),
    Status.WAITING_CUSTOMER: (Status.IN_PROGRESS, Status.RESOLVED, Status.REJECTED),
    Status.RESOLVED: (),
    Status.REJECTED: (),
}
# The member's details an account-change request may change.
CHANGE_FIELDS = {
    "address": ("Address", 500),
    "phone": ("Phone", 32),
    "next_of_kin_name": ("Next of kin", 160),
    "next_of_kin_phone": ("Next of kin's phone", 32),
    "next_of_kin_relationship": ("Next of kin's relationship", 60),
}
COMPLAINT_CATEGORIES = {
    "account_operations": "Account operations",
    "loans": "Loans and credit",
    "fees_and_charges": "Fees and charges",
    "staff_conduct": "Staff conduct",
    "fraud": "Fraud or unauthorised transaction",
    "service_delay": "Delay in service",
    "other": "Other",
}
REFUND_PURPOSE = "refund"


class ServiceDeskRefused(RuleRefused):
    status = 409


def is_desk(user) -> bool:
    return getattr(user, "is_authenticated", False) and getattr(user, "role", None) in DESK_ROLES


# --- reading -------------------------------------------------------------------------------------

def requests_visible_to(user) -> QuerySet:
    """A member's own requests; the whole queue for the service desk's staff; nothing for anyone else.
    Annotated `is_overdue` (open and past its due-by time) and ordered overdue first, then the open ones
    by due-by time, then the closed ones, newest first."""
    rows = ServiceRequest.objects.select_related("member", "assigned_to", "account")
    if not getattr(user, "is_authenticated", False):
        return rows.none()
    if user.role == Role.CUSTOMER:
        rows = rows.filter(member__user=user)
    elif not is_desk(user):
        return rows.none()
    now = timezone.now()
    return rows.annotate(
        is_overdue=Case(When(Q(due_by__lt=now) & ~Q(status__in=CLOSED), then=Value(True)), default=Value(False),
                        output_field=BooleanField()),
        is_closed=Case(When(status__in=CLOSED, then=Value(True)), default=Value(False), output_field=BooleanField()),
    ).order_by("-is_overdue", "is_closed", "due_by", "-pk")


def request_for(user, request_id) -> ServiceRequest:
    """The request if the user may see it; Http404 otherwise (missing or not theirs alike)."""
    try:
        return requests_visible_to(user).get(pk=int(request_id))
    except (ServiceRequest.DoesNotExist, TypeError, ValueError):
        raise Http404("No such request.")


def public_notes(request: ServiceRequest):
    return request.notes.filter(internal=False).select_related("author")


def overdue_count() -> int:
    return ServiceRequest.objects.exclude(status__in=CLOSED).filter(due_by__lt=timezone.now()).count()


def open_count() -> int:
    return ServiceRequest.objects.exclude(status__in=CLOSED).count()


# --- service levels ------------------------------------------------------------------------------

def service_level(kind: str) -> tuple[int, bool]:
    row = ServiceLevel.objects.filter(kind=kind).first()
    if row is not None:
        return row.days, row.working_days
    return DEFAULT_SERVICE_LEVELS[Kind(kind)]


def due_by_for(kind: str, start=None):
    """When a request of this kind made at `start` is due: its service level's days later, counting
    only working days (the configured holidays and closed weekdays skipped) where the level says so."""
    start = start or timezone.now()
    days, working_only = service_level(kind)
    if not working_only:
        return start + timedelta(days=days)
    calendar = working_calendar()
    due, counted = start, 0
    while counted < days:
        due += timedelta(days=1)
        if calendar.is_working_day(timezone.localdate(due)):
            counted += 1
    return due


# --- writing -------------------------------------------------------------------------------------

def _text(field: str, value, *, limit: int, required: bool = True) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationError({field: "Send text."})
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: "This field is required."})
    if len(value) > limit:
        raise ValidationError({field: f"At most {limit} characters ({len(value)} given)."})
    if has_control_characters(value):
        raise ValidationError({field: "Remove the control characters from this text."})
    return value


def _clean_changes(changes) -> dict:
    if not isinstance(changes, dict) or not changes:
        raise ValidationError({"changes": "Say what should change: address, phone, or next of kin "
                                          "(name, phone, relationship)."})
    unknown = sorted(set(changes) - set(CHANGE_FIELDS))
    if unknown:
        raise ValidationError({"changes": f"These details cannot be changed by a request: {', '.join(unknown)}. "
                                          f"Allowed: {', '.join(CHANGE_FIELDS)}."})
    return {name: _text(f"changes.{name}", value, limit=CHANGE_FIELDS[name][1]) for name, value in changes.items()}


def _member_for(actor, member) -> Member:
    if actor.role == Role.CUSTOMER:
        found = Member.objects.filter(user=actor).first()
        if found is None:
            raise PermissionDenied("Your sign-in is not linked to a member record; ask the credit union.")
        if member is not None and _pk(member) != found.pk:
            raise ValidationError({"member_id": "You can only make requests for yourself."})
        return found
    if not is_desk(actor):
        raise PermissionDenied("Only cashiers, managers and operations managers take requests for members.")
    if member is None:
        raise ValidationError({"member_id": "Choose the member the request is for."})
    found = Member.objects.filter(pk=_pk(member)).first()
    if found is None:
        raise ValidationError({"member_id": "No such member."})
    return found


def _pk(obj) -> int:
    try:
        return int(obj.pk if hasattr(obj, "pk") else obj)
    except (TypeError, ValueError):
        return 0


def _amount(raw) -> Decimal:
    try:
        return parse_amount(raw)
    except InvalidAmount as exc:
        raise ValidationError({"amount": str(exc)})


def _link(req: ServiceRequest) -> str:
    return f"/my/requests/{req.pk}/"


def _tell_member(req: ServiceRequest, title: str, body: str = "") -> None:
    user = req.member.user
    if user is not None and user.is_active:
        notify(user, "servicedesk.updated", title, body, _link(req))


@transaction.atomic
def request_create(*, actor, kind: str, subject: str, body: str, member=None, account_id=None, amount=None,
                   changes=None, category: str = "", channel: str = "", files=()) -> ServiceRequest:
    """A member's request (the member themself, or staff for a member). Its due-by time comes from the
    kind's service level; its reference is `SR-<year>-<number>`."""
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(Kind.values)}."})
    member = _member_for(actor, member)
    subject = _text("subject", subject, limit=MAX_SUBJECT_CHARS)
    body = _text("body", body, limit=MAX_BODY_CHARS)
    account = None
    if account_id not in (None, ""):
        account = Account.objects.filter(pk=_pk(account_id), member=member).first()
        if account is None:
            raise ValidationError({"account_id": "No such account among the member's accounts."})
    if kind == Kind.REFUND:
        if amount in (None, ""):
            raise ValidationError({"amount": "Say how much should be refunded."})
        amount = _amount(amount)
        if account is None:
            raise ValidationError({"account_id": "Choose the account the refund should be paid to."})
    elif amount not in (None, ""):
        raise ValidationError({"amount": "Only a refund request has an amount."})
    else:
        amount = None
    if kind == Kind.ACCOUNT_CHANGE:
        changes = _clean_changes(changes)
    elif changes:
        raise ValidationError({"changes": "Only an account-change request changes the member's details."})
    else:
        changes = {}
    if category and kind != Kind.COMPLAINT:
        raise ValidationError({"category": "Only a complaint has a category."})
    if kind == Kind.COMPLAINT:
        category = category or "other"
        if category not in COMPLAINT_CATEGORIES:
            raise ValidationError({"category": f"Choose one of: {', '.join(COMPLAINT_CATEGORIES)}."})
    channels = ServiceRequest.Channel
    channel = channel or (channels.PORTAL if actor.role == Role.CUSTOMER else channels.BRANCH)
    if channel not in channels.values:
        raise ValidationError({"channel": f"Choose one of: {', '.join(channels.values)}."})
    checked = [(file, check_attachment(file)) for file in files]
    now = timezone.now()
    req = ServiceRequest.objects.create(
        reference=f"new-{uuid.uuid4().hex[:16]}", member=member, kind=kind, subject=subject, body=body,
        account=account, amount=amount, changes=changes, channel=channel, created_by=actor,
        due_by=due_by_for(kind, now), created_at=now,
        complaint_category=category if kind == Kind.COMPLAINT else "",
        date_received=timezone.localdate(now) if kind == Kind.COMPLAINT else None)
    req.reference = f"SR-{timezone.localdate(now).year}-{req.pk:06d}"
    req.save(update_fields=["reference"])
    StatusChange.objects.create(request=req, actor=actor, from_status="", to_status=Status.OPEN, note="Request made.")
    for file, (content_type, name) in checked:
        ServiceRequestAttachment.objects.create(request=req, uploaded_by=actor, file=file, name=name,
                                                size=file.size, content_type=content_type)
    record(actor, "servicedesk.create", req, kind=kind, member=member.member_number)
    _tell_member(req, f"We received your request {req.reference}",
                 f"{req.get_kind_display()}: {subject}. We aim to deal with it by "
                 f"{timezone.localtime(req.due_by):%d %b %Y}.")
    return req


def _locked(req) -> ServiceRequest:
    return ServiceRequest.objects.select_for_update(of=("self",)).select_related("member__user").get(pk=_pk(req))


def _require_desk(actor) -> None:
    if not is_desk(actor):
        raise PermissionDenied("Only the service desk's staff (cashiers, managers, operations managers) may do this.")


@transaction.atomic
def request_transition(*, actor, request, status: str, note: str = "", outcome: str = "") -> ServiceRequest:
    """Move a request to `status` (TRANSITIONS), with a note the member reads. Resolving an account change
    applies it to the member; resolving a refund asks a second person to approve it (the refund is
    resolved when they do, `refund_approve`); a complaint keeps the date resolved and its outcome."""
    _require_desk(actor)
    if status not in Status.values:
        raise ValidationError({"status": f"Choose one of: {', '.join(s for s in Status.values if s != 'open')}."})
    req = _locked(request)
    approving = (req.kind == Kind.REFUND and status == Status.RESOLVED
                 and req.refund_state == ServiceRequest.RefundState.WAITING)
    note = _text("note", note, limit=MAX_NOTE_CHARS,
                 required=status in (*CLOSED, Status.WAITING_CUSTOMER) and not approving)
    allowed = TRANSITIONS[Status(req.status)]
    if status not in allowed:
        if req.status in CLOSED:
            reason = f"{req.reference} is already {req.get_status_display().lower()}; a closed request does not move."
        else:
            words = ", ".join(Status(s).label.lower() for s in allowed)
            reason = (f"{req.reference} is {req.get_status_display().lower()}: it can move only to {words}, "
                      f"not to {Status(status).label.lower()}.")
        raise ServiceDeskRefused("transition_not_allowed", reason)
    if approving:
        return refund_approve(actor=actor, request=req)
    if req.kind == Kind.REFUND and status == Status.RESOLVED:
        return _refund_ask(actor, req, note)
    if req.kind == Kind.ACCOUNT_CHANGE and status == Status.RESOLVED:
        if not actor.has_perm("members.change_member"):
            raise PermissionDenied("Only a cashier or an operations manager verifies and applies a change of "
                                   "a member's details; assign the request to one of them.")
        member_update(actor=actor, member=req.member, **req.changes)
    old = req.status
    req.status = status
    fields = ["status", "updated_at"]
    if status in CLOSED:
        req.resolved_at = timezone.now()
        fields.append("resolved_at")
        if req.kind == Kind.COMPLAINT:
            req.date_resolved = timezone.localdate()
            req.outcome = _text("outcome", outcome or note, limit=255)
            fields += ["date_resolved", "outcome"]
        if req.refund_state == ServiceRequest.RefundState.WAITING:  # a refund rejected while it waited
            req.refund_state = ServiceRequest.RefundState.NONE
            fields.append("refund_state")
    if req.assigned_to_id is None and status == Status.IN_PROGRESS:
        req.assigned_to = actor
        fields.append("assigned_to")
    req.save(update_fields=fields)
    _history(req, actor, old, status, note)
    record(actor, "servicedesk.transition", req, from_status=old, to_status=status)
    _tell_member(req, f"{req.reference}: {req.get_status_display().lower()}", note)
    return req


def _history(req, actor, old, new, note) -> None:
    StatusChange.objects.create(request=req, actor=actor, from_status=old, to_status=new, note=note)
    if note:
        ServiceRequestNote.objects.create(request=req, author=actor, text=note, internal=False)


def _refund_ask(actor, req: ServiceRequest, note: str) -> ServiceRequest:
    req.refund_state = ServiceRequest.RefundState.WAITING
    req.refund_requested_by, req.refund_note = actor, note
    req.save(update_fields=["refund_state", "refund_requested_by", "refund_note", "updated_at"])
    ServiceRequestNote.objects.create(
        request=req, author=actor, internal=True,
        text=f"Refund of {format_money(req.amount)} to {req.account.account_number} asked for; it waits for a "
             f"second approver. {note}".strip())
    record(actor, "servicedesk.refund_requested", req, amount=str(req.amount))
    notify(Role.MANAGER, "servicedesk.refund_waiting", f"Refund {req.reference} waits for approval",
           f"{format_money(req.amount)} to {req.member.full_name}: {note}",
           f"/admin/servicedesk/servicerequest/{req.pk}/change/", key=f"refund-{req.pk}")
    return req


@transaction.atomic
def refund_approve(*, actor, request) -> ServiceRequest:
    """The second person approves a refund: the amount is posted from fee income to the member's account
    through the ledger (once: the request row is locked and a posted refund is not posted again) and the
    request is resolved."""
    if not actor.has_perm("servicedesk.approve_refund"):
        raise PermissionDenied("Only a manager approves refunds.")
    req = _locked(request)
    if req.kind != Kind.REFUND or req.refund_state != ServiceRequest.RefundState.WAITING:
        raise ServiceDeskRefused("no_refund_waiting", f"{req.reference} has no refund waiting for approval.")
    if req.refund_requested_by_id == actor.pk:
        raise PermissionDenied("A second person must approve this refund: you asked for it.")
    try:
        business_date = current_business_date()
    except BusinessDayClosed as exc:
        raise ServiceDeskRefused("business_day_closed", str(exc))
    rules = reference()
    account = lock_accounts([req.account_id], reference=rules)[req.account_id]
    if account.status != Account.Status.ACTIVE:
        raise ServiceDeskRefused("account_not_active",
                                 f"Account {account.account_number} is {account.get_status_display().lower()}: "
                                 f"the refund cannot be paid into it.")
    txn = Transaction(transaction_type=Transaction.Type.DEPOSIT, amount=req.amount, to_account=account,
                      counterparty_gl=rules.gl_code(chart.FEE_INCOME), channel="admin", purpose=REFUND_PURPOSE,
                      description=f"Refund {req.reference}: {req.subject}"[:255], reason=req.refund_note[:255],
                      business_date=business_date, initiated_by=req.refund_requested_by, approved_by=actor,
                      decided_at=timezone.now(), reference=new_reference("TX", business_date))
    txn.status, txn.completed_at = Transaction.Status.COMPLETED, timezone.now()
    entry_post(entries=[Entry(lines=plan_lines(txn, rules), description=txn.description, transaction=txn)],
               actor=actor, business_date=business_date)
    old = req.status
    req.refund_state, req.refund_approved_by, req.refund_transaction = (
        ServiceRequest.RefundState.POSTED, actor, txn)
    req.status, req.resolved_at = Status.RESOLVED, timezone.now()
    req.save(update_fields=["refund_state", "refund_approved_by", "refund_transaction", "status", "resolved_at",
                            "updated_at"])
    note = req.refund_note or f"Refund of {format_money(req.amount)} paid to account {account.account_number}."
    _history(req, actor, old, Status.RESOLVED, note)
    record(actor, "servicedesk.refund_approved", req, amount=str(req.amount), transaction=txn.reference)
    _tell_member(req, f"{req.reference}: refund paid",
                 f"{format_money(req.amount)} was paid to your account {account.account_number}.")
    return req


@transaction.atomic
def refund_reject(*, actor, request, reason: str) -> ServiceRequest:
    """The second person refuses the refund: it is not paid, and the request goes back to in progress."""
    if not actor.has_perm("servicedesk.approve_refund"):
        raise PermissionDenied("Only a manager decides refunds.")
    reason = _text("reason", reason, limit=MAX_NOTE_CHARS)
    req = _locked(request)
    if req.refund_state != ServiceRequest.RefundState.WAITING:
        raise ServiceDeskRefused("no_refund_waiting", f"{req.reference} has no refund waiting for approval.")
    if req.refund_requested_by_id == actor.pk:
        raise PermissionDenied("A second person must decide this refund: you asked for it.")
    req.refund_state = ServiceRequest.RefundState.NONE
    req.save(update_fields=["refund_state", "updated_at"])
    ServiceRequestNote.objects.create(request=req, author=actor, internal=True,
                                      text=f"Refund not approved: {reason}")
    record(actor, "servicedesk.refund_refused", req, reason=reason)
    return req


@transaction.atomic
def request_assign(*, actor, request, assignee) -> ServiceRequest:
    """Give the request to a member of the service desk (and tell them)."""
    _require_desk(actor)
    assignee = get_user_model().objects.filter(pk=_pk(assignee), is_active=True, role__in=DESK_ROLES).first()
    if assignee is None:
        raise ValidationError({"assigned_to": "Choose an active cashier, manager or operations manager."})
    req = _locked(request)
    if req.status in CLOSED:
        raise ServiceDeskRefused("closed", f"{req.reference} is {req.get_status_display().lower()}: "
                                           f"a closed request is not assigned.")
    req.assigned_to = assignee
    req.save(update_fields=["assigned_to", "updated_at"])
    record(actor, "servicedesk.assign", req, assigned_to=assignee.email)
    if assignee.pk != actor.pk:
        notify(assignee, "servicedesk.assigned", f"{req.reference} was given to you",
               f"{req.get_kind_display()} for {req.member.full_name}: {req.subject}",
               f"/admin/servicedesk/servicerequest/{req.pk}/change/")
    return req


@transaction.atomic
def note_add(*, actor, request, text: str, internal: bool = False) -> ServiceRequestNote:
    """A note on a request. Staff may write internal notes the member never sees; the member's own notes
    (and staff's public ones) are shown to both. A member may add to their own open request only."""
    text = _text("text", text, limit=MAX_NOTE_CHARS)
    if actor.role == Role.CUSTOMER:
        if internal:
            raise PermissionDenied("Only staff write internal notes.")
        request_for(actor, _pk(request))  # own requests only: anyone else's is 404
    else:
        _require_desk(actor)
    req = _locked(request)
    if req.status in CLOSED:
        raise ServiceDeskRefused("closed", f"{req.reference} is closed; make a new request.")
    note = ServiceRequestNote.objects.create(request=req, author=actor, text=text, internal=internal)
    if actor.role != Role.CUSTOMER and not internal:
        _tell_member(req, f"{req.reference}: a note from the credit union", text)
    return note


@transaction.atomic
def attachment_add(*, actor, request, file) -> ServiceRequestAttachment:
    """A PDF, JPEG or PNG (at most 5 MB) on the member's own request, or by staff on any."""
    if actor.role == Role.CUSTOMER:
        request_for(actor, _pk(request))
    else:
        _require_desk(actor)
    content_type, name = check_attachment(file)
    req = _locked(request)
    return ServiceRequestAttachment.objects.create(request=req, uploaded_by=actor, file=file, name=name,
                                                   size=file.size, content_type=content_type)


def attachment_for(user, request_id, attachment_id) -> ServiceRequestAttachment:
    req = request_for(user, request_id)
    found = req.attachments.filter(pk=_pk(attachment_id)).first()
    if found is None:
        raise Http404("No such attachment.")
    return found


# --- compliance export ---------------------------------------------------------------------------

COMPLAINT_COLUMNS = ("reference", "member_number", "member_name", "category", "channel", "date_received",
                     "date_resolved", "status", "outcome", "subject", "assigned_to", "due_by", "overdue")


def complaints_export(*, actor, rows=None, request=None) -> list[list[str]]:
    """The complaints register for the regulator: one row per complaint with its category, channel, date
    received, date resolved and outcome (the header first). Audited: who exported how many."""
    if not is_desk(actor):
        raise PermissionDenied("Only the service desk's staff export the complaints register.")
    rows = (rows if rows is not None else ServiceRequest.objects.all()).filter(kind=Kind.COMPLAINT)
    rows = rows.select_related("member", "assigned_to").order_by("date_received", "pk")
    out = [list(COMPLAINT_COLUMNS)]
    for req in rows:
        out.append([
            req.reference, req.member.member_number, req.member.full_name,
            COMPLAINT_CATEGORIES.get(req.complaint_category, req.complaint_category), req.get_channel_display(),
            req.date_received.isoformat() if req.date_received else "",
            req.date_resolved.isoformat() if req.date_resolved else "", req.get_status_display(), req.outcome,
            req.subject, req.assigned_to.email if req.assigned_to else "",
            timezone.localtime(req.due_by).strftime("%Y-%m-%d %H:%M"), "yes" if req.overdue else "no",
        ])
    record(actor, "servicedesk.complaints_export", "complaints register", request=request, rows=len(out) - 1)
    return out
