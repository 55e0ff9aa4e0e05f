"""The compliance export of large cash transactions (django-import-export, export only)."""

from import_export import fields, resources

from .models import LargeCashTransaction


class LargeCashExportResource(resources.ModelResource):
    kind = fields.Field(column_name="kind", readonly=True)
    account = fields.Field(column_name="account_number", readonly=True)
    member_number = fields.Field(column_name="member_number", readonly=True)
    member_name = fields.Field(column_name="member_name", readonly=True)
    handled_by = fields.Field(attribute="initiated_by__email", column_name="handled_by", readonly=True)
    amount = fields.Field(column_name="amount", readonly=True)

    class Meta:
        model = LargeCashTransaction
        name = "Large cash transactions (cash transaction report)"
        fields = ("reference", "business_date", "kind", "amount", "account", "member_number", "member_name",
                  "handled_by", "channel", "description", "completed_at")
        export_order = fields

    def _account(self, txn):
        return txn.to_account if txn.transaction_type == "deposit" else txn.from_account

    def dehydrate_kind(self, txn):
        return "Cash deposit" if txn.transaction_type == "deposit" else "Cash withdrawal"

    def dehydrate_amount(self, txn):
        return f"{txn.amount:.2f}"

    def dehydrate_account(self, txn):
        account = self._account(txn)
        return account.account_number if account else ""

    def dehydrate_member_number(self, txn):
        account = self._account(txn)
        return account.member.member_number if account else ""

    def dehydrate_member_name(self, txn):
        account = self._account(txn)
        return account.member.full_name if account else ""
