"""Compliance CSV exports of accounts and transactions (django-import-export). Export only:
nothing in the ledger is ever imported."""

from import_export import fields, resources

from .models import Account, Transaction


class AccountExportResource(resources.ModelResource):
    member_number = fields.Field(attribute="member__member_number", column_name="member_number", readonly=True)
    member_name = fields.Field(column_name="member_name", readonly=True)
    product = fields.Field(attribute="product__name", column_name="product", readonly=True)
    available_balance = fields.Field(column_name="available_balance", readonly=True)
    opened_by = fields.Field(column_name="opened_by", readonly=True)

    class Meta:
        model = Account
        name = "Accounts (compliance)"
        fields = ("account_number", "member_number", "member_name", "product", "status", "status_reason",
                  "balance", "held_balance", "available_balance", "opened_by", "created_at", "closed_at")
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("member", "product", "opened_by")

    def dehydrate_member_name(self, account):
        return account.member.full_name

    def dehydrate_available_balance(self, account):
        return f"{account.available_balance:.2f}"

    def dehydrate_opened_by(self, account):
        return account.opened_by.email if account.opened_by else ""


class TransactionExportResource(resources.ModelResource):
    from_account = fields.Field(attribute="from_account__account_number", column_name="from_account", readonly=True)
    to_account = fields.Field(attribute="to_account__account_number", column_name="to_account", readonly=True)
    initiated_by = fields.Field(attribute="initiated_by__email", column_name="initiated_by", readonly=True)
    approved_by = fields.Field(attribute="approved_by__email", column_name="approved_by", readonly=True)
    reverses = fields.Field(attribute="reverses__reference", column_name="reverses", readonly=True)

    class Meta:
        model = Transaction
        name = "Transactions (compliance)"
        fields = ("reference", "transaction_type", "status", "amount", "fee", "from_account", "to_account",
                  "description", "channel", "business_date", "initiated_by", "approved_by", "decision_note",
                  "reverses", "created_at", "completed_at")
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("from_account", "to_account", "initiated_by", "approved_by", "reverses")
