"""The staff console's loan products: operations managers add and change them, other staff read them."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display

from apps.audit.services import record
from apps.core.admin_mixins import ReadOnlyHistoryMixin, StrictMoneyFieldsMixin
from apps.core.money import money_cell
from apps.ledger.models import GLAccount

from . import chart
from .models import LoanProduct, LoanProductFee


class LoanProductFeeInline(TabularInline):
    model = LoanProductFee
    fields = ("name", "kind", "amount", "when")
    extra = 0
    tab = False

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("loans.delete_loanproductfee")


@admin.register(LoanProduct)
class LoanProductAdmin(ReadOnlyHistoryMixin, StrictMoneyFieldsMixin, SimpleHistoryAdmin, ModelAdmin):
    list_display = ("name", "code", "interest_method", "rate", "repayments", "amounts", "terms", "is_active",
                    "preview_link")
    list_filter = ("is_active", "interest_method", "repayment_frequency")
    search_fields = ("name", "code")
    inlines = [LoanProductFeeInline]
    fieldsets = (
        (None, {"fields": ("name", "code", "description", "is_active")}),
        ("Interest and repayments", {
            "fields": ("interest_method", "amortization", "interest_rate", "interest_rate_period",
                       "interest_calculation", "days_in_year", "repayment_every", "repayment_frequency"),
            "description": "As in Apache Fineract: flat interest is charged on the amount lent for the whole "
                           "term; declining-balance interest on what is still owed each period.",
        }),
        ("Amounts and terms", {"fields": ("min_amount", "max_amount", "min_term", "max_term")}),
        ("Rounding and grace", {
            "fields": ("currency_decimals", "currency_multiple", "instalment_multiple", "grace_on_principal",
                       "grace_on_interest"),
            "description": "Every amount is rounded as set here; the last instalment takes what rounding "
                           "leaves over, so the principal column adds up to the amount lent.",
        }),
        ("Penalties and eligibility", {
            "fields": ("penalty_rate", "penalty_grace_days", "max_savings_multiple", "guarantors_required"),
        }),
        ("Ledger accounts", {"fields": tuple(chart.PRODUCT_DEFAULTS)}),
    )

    @display(description="Rate")
    def rate(self, obj):
        return f"{obj.interest_rate.normalize():f} % {obj.get_interest_rate_period_display().lower()}"

    @display(description="Repayments")
    def repayments(self, obj):
        return f"Every {obj.repayment_every} {obj.get_repayment_frequency_display().lower()}"

    @display(description="Amounts")
    def amounts(self, obj):
        return f"{money_cell(obj.min_amount)} – {money_cell(obj.max_amount)}"

    @display(description="Terms")
    def terms(self, obj):
        return f"{obj.min_term} – {obj.max_term}"

    def has_delete_permission(self, request, obj=None):
        return False  # a product is retired (is_active), never deleted: loans will point at it

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        codes = {field: code for field, code in chart.PRODUCT_DEFAULTS.items() if field not in initial}
        accounts = {gl.code: gl.pk for gl in GLAccount.objects.filter(code__in=codes.values())}
        return {**initial, **{field: accounts.get(code) for field, code in codes.items()}}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        types = LoanProduct.GL_FIELDS.get(db_field.name)
        if types:
            kwargs["queryset"] = GLAccount.objects.filter(type__in=types, is_active=True, parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changed = sorted(form.changed_data) + sorted(
            f"fees.{name}" for formset in formsets for f in formset.forms for name in f.changed_data)
        record(request.user, f"loanproduct.{'change' if change else 'add'}", form.instance, request=request,
               code=form.instance.code, fields=sorted(set(changed)))

    @display(description="Preview")
    def preview_link(self, obj):
        url = reverse("admin:loans_schedule_preview") + f"?product={obj.pk}"
        return format_html('<a class="text-primary-600" href="{}">Preview a schedule</a>', url)
