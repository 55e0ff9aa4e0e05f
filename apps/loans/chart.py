"""The GL accounts of lending. Four were in the starting chart (apps/ledger/chart.py); the loans app adds
the rest with its migration 0002 (codes chosen next to their kin, clear of every code in use).

The provision is a liability account, as in Fineract's provisioning (debit the provision expense,
credit the provision); the write-off expense takes what is written off, and recoveries income what is
paid on a loan after its write-off.
"""

from apps.ledger import chart as ledger_chart

LOANS_RECEIVABLE = ledger_chart.LOANS_RECEIVABLE  # 1100
INTEREST_RECEIVABLE = ledger_chart.INTEREST_RECEIVABLE  # 1110
INTEREST_INCOME = ledger_chart.INTEREST_INCOME  # 4000
FEE_INCOME = ledger_chart.FEE_INCOME  # 4010
LOAN_LOSS_PROVISION = "2300"
PENALTY_INCOME = "4030"
RECOVERIES_INCOME = "4040"
WRITE_OFF_EXPENSE = "5100"
PROVISION_EXPENSE = "5110"

CHART = [
    (LOAN_LOSS_PROVISION, "Loan loss provision", "liability"),
    (PENALTY_INCOME, "Loan penalty income", "income"),
    (RECOVERIES_INCOME, "Recoveries on loans written off", "income"),
    (WRITE_OFF_EXPENSE, "Loans written off", "expense"),
    (PROVISION_EXPENSE, "Loan loss provision expense", "expense"),
]

# The product field each account fills when a product does not name its own.
PRODUCT_DEFAULTS = {
    "loans_receivable_account": LOANS_RECEIVABLE,
    "interest_income_account": INTEREST_INCOME,
    "interest_receivable_account": INTEREST_RECEIVABLE,
    "fee_income_account": FEE_INCOME,
    "penalty_income_account": PENALTY_INCOME,
    "provision_account": LOAN_LOSS_PROVISION,
    "write_off_account": WRITE_OFF_EXPENSE,
    "recoveries_account": RECOVERIES_INCOME,
}
