"""The chart of accounts every install starts with (created by migration 0002)."""

CASH_VAULT = "1000"
CASH_DRAWERS = "1010"
CASH_FIELD = "1020"
CHEQUES_CLEARING = "1200"
DUE_FROM_BANKS = "1300"
LOANS_RECEIVABLE = "1100"
INTEREST_RECEIVABLE = "1110"
DEPOSITS_SUSU = "2000"
DEPOSITS_MONTHLY = "2010"
PAYMENTS_CLEARING = "2100"
INTEREST_PAYABLE = "2200"
MEMBER_SHARES = "3000"
RETAINED_EARNINGS = "3100"
INTEREST_INCOME = "4000"
FEE_INCOME = "4010"
SUSU_COMMISSION = "4020"
INTEREST_EXPENSE = "5000"
CASH_VARIANCE = "5010"
DIVIDEND_EXPENSE = "5020"
ROUNDING = "5030"

CHART = [
    (CASH_VAULT, "Cash in vault", "asset"),
    (CASH_DRAWERS, "Cash in cashier drawers", "asset"),
    (CASH_FIELD, "Cash with field bankers", "asset"),
    (LOANS_RECEIVABLE, "Loans receivable", "asset"),
    (INTEREST_RECEIVABLE, "Interest receivable", "asset"),
    (CHEQUES_CLEARING, "Cheques in clearing", "asset"),
    (DUE_FROM_BANKS, "Due from banks (settlement account)", "asset"),
    (DEPOSITS_SUSU, "Member deposits — Daily Susu", "liability"),
    (DEPOSITS_MONTHLY, "Member deposits — Monthly Contribution", "liability"),
    (PAYMENTS_CLEARING, "Payments clearing (bills and external payees)", "liability"),
    (INTEREST_PAYABLE, "Interest payable to members", "liability"),
    (MEMBER_SHARES, "Member shares", "equity"),
    (RETAINED_EARNINGS, "Retained earnings", "equity"),
    (INTEREST_INCOME, "Interest income", "income"),
    (FEE_INCOME, "Fee and service charge income", "income"),
    (SUSU_COMMISSION, "Susu commission income", "income"),
    (INTEREST_EXPENSE, "Interest expense", "expense"),
    (CASH_VARIANCE, "Cash over and short", "expense"),
    (DIVIDEND_EXPENSE, "Dividends to members", "expense"),
    (ROUNDING, "Rounding differences", "expense"),
]

# (code, name, kind, control GL, minimum balance, allows withdrawal)
PRODUCTS = [
    ("SUSU", "Daily Susu", "daily_susu", DEPOSITS_SUSU, "0.00", True),
    ("SHARES", "Member Shares", "shares", MEMBER_SHARES, "0.00", False),
    ("MONTHLY", "Monthly Contribution", "monthly_contribution", DEPOSITS_MONTHLY, "0.00", True),
]
