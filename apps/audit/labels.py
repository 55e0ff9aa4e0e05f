"""What each audit action means, in words for the people who read the log."""

ACTION_LABELS = {
    "account.contribution": "Contribution amount set",
    "account.open": "Account opened",
    "account.status": "Account status changed",
    "business_day.open": "Business day opened",
    "business_day.close": "Business day closed (end of day started)",
    "business_day.resume": "End of day resumed",
    "business_day.checklist_override": "Closing checklist item overridden",
    "eod.step_failed": "End-of-day step failed",
    "cash.vault_receive": "Cash received into the vault",
    "cash.float_issue": "Float issued to a cashier",
    "cash.drawer_open": "Cash drawer opened",
    "cash.drawer_close": "Cash drawer closed",
    "cash.drawer_close_pending": "Drawer closed, variance waiting for sign-off",
    "cash.drawer_close_approved": "Drawer variance signed off",
    "cash.advance_request": "Cash advance requested",
    "cash.advance_approve": "Cash advance approved",
    "cash.advance_reject": "Cash advance rejected",
    "cash.return_request": "Return to vault requested",
    "cash.return_approve": "Return to vault approved",
    "cash.return_reject": "Return to vault rejected",
    "cash.cheque_deposit": "Cheque deposited",
    "cash.cheque_clear": "Cheque cleared",
    "cash.cheque_bounce": "Cheque bounced",
    "cash.field_remit_pending": "Field cash remitted, variance waiting for sign-off",
    "cash.field_remit_approved": "Remittance variance signed off",
    "cash.field_remit_rejected": "Remittance variance rejected",
    "cashpolicy.change": "Cash policy changed",
    "denomination.add": "Denomination added",
    "denomination.change": "Denomination changed",
    "dividend.preview": "Dividend previewed",
    "dividend.post": "Dividend posted",
    "import.member": "Members imported",
    "member.assign": "Member assigned to a mobile banker",
    "member.document_add": "Member document added",
    "member.kyc_verified": "KYC verified",
    "member.kyc_rejected": "KYC rejected",
    "member.kyc_pending": "KYC set back to pending",
    "member.link_user": "Member linked to a portal sign-in",
    "member.register": "Member registered",
    "member.update": "Member details changed",
    "shares.redeem_requested": "Share redemption requested",
    "statement.generate": "Statement produced",
    "transaction.approve": "Movement approved",
    "transaction.reject": "Movement rejected",
    "transaction.reversal_requested": "Reversal requested",
    "user.create": "Staff or customer sign-in created",
    "user.otp_backup_codes_regenerated": "Backup codes made again",
    "user.otp_enrolled": "Authenticator app set up",
    "user.otp_reset": "Authenticator reset",
    "user.password_set": "Password set",
    "user.role_change": "Role changed",
    "user.unlock": "Sign-in unlocked",
}

# Configuration records audited as "<model>.add" / "<model>.change", and exports as "export.<model>".
THINGS = {
    "account": "accounts", "transaction": "transactions", "member": "members", "auditevent": "audit log",
    "largecashtransaction": "large cash transactions", "glaccount": "GL account", "product": "product",
    "servicecharge": "service charge", "ledgerpolicy": "ledger policy", "scheduledfee": "scheduled fee",
    "denomination": "denomination", "cashpolicy": "cash policy",
}


def action_label(action: str) -> str:
    """`cash.drawer_open` -> "Cash drawer opened"; unknown keys are still put in words."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    head, _, tail = action.partition(".")
    if head == "export":
        return f"Exported {THINGS.get(tail, tail.replace('_', ' '))}"
    if tail in ("add", "change"):
        thing = THINGS.get(head, head.replace("_", " "))
        return f"{thing[:1].upper()}{thing[1:]} {'added' if tail == 'add' else 'changed'}"
    words = f"{head} {tail}".replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def action_choices(actions) -> list[tuple[str, str]]:
    return sorted(((action, action_label(action)) for action in actions), key=lambda pair: pair[1])
