"""The institution's name, contacts, logo and statement footer live in one Wagtail site setting;
the console, the portal, statements, error pages and the authenticator app all read it."""

import io

import pytest
from django.test import override_settings
from django.utils import timezone
from pypdf import PdfReader
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Site

from apps.core.institution import institution
from apps.core.models import InstitutionSettings
from apps.reports.statements import statement_build, statement_csv, statement_pdf
from tests.ledger.factories import fund, make_member, open_account
from tests.support import add_totp_device, new_client, staff_client_for

pytestmark = pytest.mark.django_db


def rename(**fields) -> InstitutionSettings:
    found = InstitutionSettings.for_site(Site.objects.get(is_default_site=True))
    for name, value in fields.items():
        setattr(found, name, value)
    found.save()
    return found


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


@pytest.fixture
def statement(cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager)
    account = fund(open_account(actor=cashier, member=member), "25.00", cashier=cashier)
    today = timezone.localdate()
    return statement_build(account=account, start=today, end=today)


@pytest.fixture
def logo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return get_image_model().objects.create(title="Our logo", file=get_test_image_file("logo.png"))


def test_a_fresh_install_shows_todays_text():
    found = institution()
    assert (found.name, found.short_name) == ("Coastal Credit Union", "Coastal")
    assert (found.address, found.phone, found.email) == ("Harbour Road, Cape Coast, Ghana", "+233 30 000 0000",
                                                         "hello@coastal.example")
    assert found.statement_footer == "Please report any error within 30 days."
    assert found.pk is not None and found.site.is_default_site  # the row the /cms/ settings page edits


def test_the_console_header_and_title_follow_the_setting(cashier):
    console = staff_client_for(cashier)
    page = console.get("/admin/").content.decode()
    assert "Coastal back office" in page
    rename(short_name="Anomabo CU")
    page = console.get("/admin/").content.decode()
    assert "Anomabo CU back office" in page and "Coastal back office" not in page
    assert "| Anomabo CU</title>" in page or "Anomabo CU</title>" in page


def test_the_console_sign_in_page_names_the_institution():
    rename(short_name="Anomabo CU")
    page = new_client().get("/admin/login/").content.decode()
    assert "Anomabo CU" in page and "Coastal" not in page.split("<body", 1)[1].split("member portal")[0]


def test_the_portal_follows_the_setting(customer):
    rename(name="Anomabo Teachers Co-operative Credit Union", address="Main Street, Anomabo",
           phone="+233 33 212 0000", email="info@anomabo.example", website="https://anomabo.example/",
           registration_number="Licensed by the Bank of Ghana, CU/0123")
    for client in (new_client(), staff_client_for(customer)):
        for url in ("/", "/login/", "/my/"):
            page = client.get(url, follow=True).content.decode()
            assert "Anomabo Teachers Co-operative Credit Union" in page, url
            assert "Main Street, Anomabo" in page and "+233 33 212 0000" in page and "info@anomabo.example" in page
            assert "https://anomabo.example/" in page and "CU/0123" in page
            body = page.split("</title>", 1)[1]  # the home page's title is its own (a page staff edit)
            assert "Coastal Credit Union" not in body


def test_a_statement_follows_the_setting(statement):
    assert "Coastal Credit Union" in pdf_text(statement_pdf(statement))
    assert "Please report any error within 30 days." in pdf_text(statement_pdf(statement))
    rename(name="Anomabo Teachers Co-operative Credit Union", registration_number="Licensed by the Bank of Ghana, "
           "CU/0123", website="https://anomabo.example/", statement_footer="Queries: call 0332 120 000 within 14 days.")
    text = pdf_text(statement_pdf(statement))
    assert "Anomabo Teachers Co-operative Credit Union" in text and "Coastal Credit Union" not in text
    assert "Licensed by the Bank of Ghana, CU/0123" in text and "https://anomabo.example/" in text
    assert "Queries: call 0332 120 000 within 14 days." in text and "30 days" not in text
    assert "Currency Ghana cedi (GH₵)" in text
    assert statement_csv(statement).startswith("Statement of account,Anomabo Teachers Co-operative Credit Union\r\n")


def test_a_footer_with_quotes_cannot_break_the_page_style(statement):
    rename(statement_footer='He said "call us"; } @page { size: A0 } \\ and left.')
    content = statement_pdf(statement)
    reader = PdfReader(io.BytesIO(content))
    assert 'He said "call us"; } @page { size: A0 } \\ and left.' in pdf_text(content)
    assert round(float(reader.pages[0].mediabox.width)) == 595  # still A4


def test_the_logo_shows_in_the_console_the_portal_and_the_statement(cashier, logo, statement):
    console = staff_client_for(cashier)
    assert logo.file.url not in console.get("/admin/").content.decode()
    without = PdfReader(io.BytesIO(statement_pdf(statement))).pages[0].images
    rename(logo=logo)
    assert logo.file.url in console.get("/admin/").content.decode()
    assert logo.file.url in new_client().get("/login/").content.decode()
    assert len(PdfReader(io.BytesIO(statement_pdf(statement))).pages[0].images) == len(without) + 1


def test_the_authenticator_app_shows_the_short_name(manager):
    device = add_totp_device(manager)
    assert "issuer=Coastal" in device.config_url
    rename(short_name="Anomabo CU")
    assert "issuer=Anomabo%20CU" in device.config_url and device.config_url.startswith("otpauth://totp/Anomabo%20CU")


@override_settings(DEBUG=False)
def test_error_pages_name_the_institution(cashier):
    rename(name="Anomabo Teachers Co-operative Credit Union", short_name="Anomabo CU")
    portal = new_client().get("/no-such-page-here/").content.decode()
    assert "Anomabo Teachers Co-operative Credit Union" in portal and "Coastal" not in portal
    console = staff_client_for(cashier).get("/admin/ledger/account/999999/change/").content.decode()
    assert "Anomabo CU back office" in console and "Coastal" not in console


def test_a_page_reads_the_setting_once(cashier, django_assert_max_num_queries):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    first = institution(request)
    with django_assert_max_num_queries(0):
        assert institution(request) is first


def test_the_footer_is_on_every_page(statement):
    from dataclasses import replace
    from datetime import timedelta
    from decimal import Decimal

    from apps.reports.statements import StatementLine

    lines = [StatementLine(date=statement.start - timedelta(days=150 - i), reference=f"TX{i:06d}ABCDEFGH",
                           description="Cash deposit", debit=Decimal("0"), credit=Decimal("1.00"),
                           balance=Decimal(i + 1)) for i in range(150)]
    long = replace(statement, start=lines[0].date, lines=lines, total_in=Decimal("150.00"),
                   closing_balance=Decimal("150.00"))
    rename(statement_footer="Queries: call 0332 120 000 within 14 days.")
    pages = PdfReader(io.BytesIO(statement_pdf(long))).pages
    assert len(pages) >= 3
    for page in pages:
        text = " ".join(page.extract_text().split())
        assert "Queries: call 0332 120 000 within 14 days." in text and "Generated " in text
    for page in pages[1:]:  # the running header of the pages after the first
        assert f"Account {statement.account.account_number} · " in page.extract_text()


def test_the_teller_receipt_names_the_institution(cashier, statement):
    from django.urls import reverse

    from apps.ledger.models import Transaction

    txn = Transaction.objects.get(to_account=statement.account)
    rename(name="Anomabo Teachers Co-operative Credit Union")
    page = staff_client_for(cashier).get(reverse("admin:ledger_teller_receipt", args=[txn.pk])).content.decode()
    assert 'data-testid="receipt"' in page and "Anomabo Teachers Co-operative Credit Union" in page
