"""/api/service-requests/ ("Messaging, notifications, service desk, jobs" in API.md).

A member sees only their own requests: another member's answers 404, as one that does not exist. The
service desk's staff (cashier, manager, operations manager) see the queue, overdue first."""

from datetime import date, datetime
from typing import Literal

from django.http import FileResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from apps.core.apikit.errors import ApiError
from apps.core.apikit.fields import Amount
from apps.core.apikit.pagination import PageNumber
from apps.core.apikit.permissions import require_role
from apps.core.roles import Role

from . import services
from .models import MAX_BODY_CHARS, MAX_NOTE_CHARS, MAX_SUBJECT_CHARS, ServiceRequest

router = Router(tags=["service requests"])
ROUTERS = [("/service-requests/", router)]

MAX_ID = 2**31 - 1
KindName = Literal["statement", "cheque_book", "card", "account_change", "complaint", "refund", "other"]
TargetStatus = Literal["in_progress", "waiting_customer", "resolved", "rejected"]


class NoteOut(Schema):
    id: int
    author_id: int
    author_name: str
    text: str = Field(..., description="Plain text: escape it when showing it as HTML.")
    internal: bool
    created_at: datetime

    @staticmethod
    def resolve_author_name(obj): return obj.author.get_full_name() or obj.author.get_role_display()


class HistoryOut(Schema):
    from_status: str
    to_status: str
    note: str
    actor_id: int
    created_at: datetime


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str


class RequestOut(Schema):
    id: int
    reference: str
    kind: str
    kind_label: str
    subject: str
    body: str
    status: str
    status_label: str
    member_id: int
    member_name: str
    account_id: int | None
    amount: str | None
    changes: dict
    channel: str
    assigned_to: int | None
    due_by: datetime
    overdue: bool
    created_at: datetime
    resolved_at: datetime | None
    refund_state: str = Field(..., description='A refund: "waiting" for a second approver, "posted" when paid, '
                                               'else empty.')
    refund_transaction: str | None = Field(None, description="The ledger transaction's reference once paid.")
    category: str
    date_received: date | None
    date_resolved: date | None
    outcome: str

    @staticmethod
    def resolve_kind_label(obj): return obj.get_kind_display()
    @staticmethod
    def resolve_status_label(obj): return obj.get_status_display()
    @staticmethod
    def resolve_member_name(obj): return obj.member.full_name
    @staticmethod
    def resolve_amount(obj): return None if obj.amount is None else f"{obj.amount:.2f}"
    @staticmethod
    def resolve_assigned_to(obj): return obj.assigned_to_id
    @staticmethod
    def resolve_category(obj): return obj.complaint_category

    @staticmethod
    def resolve_refund_transaction(obj):
        return obj.refund_transaction.reference if obj.refund_transaction_id else None


class RequestDetailOut(RequestOut):
    notes: list[NoteOut] = Field(..., description="A member sees the public notes only; staff see internal ones too.")
    history: list[HistoryOut]
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_notes(obj): return obj.visible_notes
    @staticmethod
    def resolve_history(obj): return list(obj.history.all())
    @staticmethod
    def resolve_attachments(obj): return list(obj.attachments.all())


class RequestIn(Schema):
    kind: KindName
    subject: str = Field(..., min_length=1, max_length=MAX_SUBJECT_CHARS)
    body: str = Field(..., min_length=1, max_length=MAX_BODY_CHARS)
    account_id: int | None = Field(None, ge=1, le=MAX_ID)
    amount: Amount | None = Field(None, description="A refund's amount (only a refund has one).")
    member_id: int | None = Field(None, ge=1, le=MAX_ID, description="Staff: the member the request is for.")
    changes: dict[str, str] | None = Field(
        None, description="An account change: the new values of address, phone, next_of_kin_name, "
                          "next_of_kin_phone, next_of_kin_relationship (applied when staff resolve it).")
    category: str = Field("", max_length=40, description="A complaint's category: "
                                                         + ", ".join(services.COMPLAINT_CATEGORIES))
    channel: Literal["portal", "api", "branch", "phone"] | None = Field(
        None, description="Staff: how the member asked (default branch).")


class TransitionIn(Schema):
    status: TargetStatus
    note: str = Field("", max_length=MAX_NOTE_CHARS, description="Shown to the member; required except for "
                                                                  "in_progress.")
    outcome: str = Field("", max_length=255, description="A complaint: its outcome (default: the note).")


class AssignIn(Schema):
    user_id: int = Field(..., ge=1, le=MAX_ID)


class NoteIn(Schema):
    text: str = Field(..., min_length=1, max_length=MAX_NOTE_CHARS)
    internal: bool = False


class RequestFilters(Schema):
    kind: KindName | None = None
    status: Literal["open", "in_progress", "waiting_customer", "resolved", "rejected"] | None = None
    assigned_to: int | None = Field(None, ge=1, le=MAX_ID, description="Staff: a user's id.")


def _may_use(request) -> None:
    require_role(request, Role.CUSTOMER, *services.DESK_ROLES)


def _detail(user, request_id: int) -> ServiceRequest:
    req = services.request_for(user, request_id)
    notes = req.notes.select_related("author")
    if user.role == Role.CUSTOMER:
        notes = notes.filter(internal=False)
    req.visible_notes = list(notes)
    return req


@router.get("/", response=list[RequestOut], summary="Own requests, or the service-desk queue (overdue first)")
@paginate(PageNumber)
def request_list(request, filters: Query[RequestFilters]):
    _may_use(request)
    rows = services.requests_visible_to(request.user).select_related("refund_transaction")
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.assigned_to:
        rows = rows.filter(assigned_to_id=filters.assigned_to)
    if request.user.role == Role.CUSTOMER:
        rows = rows.order_by("-created_at", "-pk")
    return rows


@router.post("/", response={201: RequestDetailOut}, summary="Make a request (a member; staff for a member)")
def request_create(request, payload: RequestIn):
    _may_use(request)
    channel = payload.channel or ("api" if request.user.role == Role.CUSTOMER else "")
    if request.user.role == Role.CUSTOMER and payload.channel not in (None, "api", "portal"):
        raise ApiError(422, "invalid", "channel: A member's request comes through the portal or the app.",
                       errors=[{"field": "channel", "message": "A member's request comes through the portal or "
                                                               "the app."}])
    req = services.request_create(actor=request.user, kind=payload.kind, subject=payload.subject, body=payload.body,
                                  member=payload.member_id, account_id=payload.account_id, amount=payload.amount,
                                  changes=payload.changes, category=payload.category, channel=channel)
    return Status(201, _detail(request.user, req.pk))


@router.get("/{int:request_id}/", response=RequestDetailOut, summary="A request with its notes and history")
def request_detail(request, request_id: int):
    _may_use(request)
    return _detail(request.user, request_id)


@router.post("/{int:request_id}/transition/", response=RequestDetailOut,
             summary="Move a request on (staff); a refund resolves only through a second approver")
def request_transition(request, request_id: int, payload: TransitionIn):
    require_role(request, *services.DESK_ROLES)
    req = services.request_for(request.user, request_id)
    services.request_transition(actor=request.user, request=req, status=payload.status, note=payload.note,
                                outcome=payload.outcome)
    return _detail(request.user, request_id)


@router.post("/{int:request_id}/assign/", response=RequestDetailOut, summary="Give a request to someone (staff)")
def request_assign(request, request_id: int, payload: AssignIn):
    require_role(request, *services.DESK_ROLES)
    req = services.request_for(request.user, request_id)
    services.request_assign(actor=request.user, request=req, assignee=payload.user_id)
    return _detail(request.user, request_id)


@router.post("/{int:request_id}/notes/", response={201: NoteOut},
             summary="Add a note (a member on their own request; staff, internal or not)")
def note_add(request, request_id: int, payload: NoteIn):
    _may_use(request)
    req = services.request_for(request.user, request_id)
    note = services.note_add(actor=request.user, request=req, text=payload.text, internal=payload.internal)
    return Status(201, note)


ATTACHMENT_BODY = {"responses": {"400": {"description": "A multipart body the server could not read."}},
    "requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "PDF, JPEG or PNG, at most 5 MB."}}}},
}}}


@router.post("/{int:request_id}/attachments/", response={201: AttachmentOut}, openapi_extra=ATTACHMENT_BODY,
             summary="Attach a file (multipart `file`: PDF, JPEG or PNG, at most 5 MB)")
def attachment_add(request, request_id: int):
    _may_use(request)
    req = services.request_for(request.user, request_id)
    files = request.FILES.getlist("file")
    if len(files) != 1:
        raise ApiError(422, "invalid", "file: Attach exactly one file.",
                       errors=[{"field": "file", "message": "Attach exactly one file."}])
    return Status(201, services.attachment_add(actor=request.user, request=req, file=files[0]))


@router.get("/{int:request_id}/attachments/{int:attachment_id}/", response={200: None},
            summary="Download an attachment (the member who owns the request, or staff)")
def attachment_download(request, request_id: int, attachment_id: int):
    _may_use(request)
    attachment = services.attachment_for(request.user, request_id, attachment_id)
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response

