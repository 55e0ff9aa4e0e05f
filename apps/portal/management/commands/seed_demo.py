"""Demo data for the embedded system. Idempotent: running it again refreshes, never duplicates."""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.users.demo import seed_users

DEFAULT_PASSWORD = "Coastal-demo-2026"


class Command(BaseCommand):
    help = "Create demo users (one per role) and demo banking data. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD,
                            help=f"password for every demo login (default: {DEFAULT_PASSWORD})")

    def handle(self, *args, password, **options):
        with transaction.atomic():
            users = seed_users(password=password)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"\nDemo logins (password for all: {password})")
        for entry in users:
            self.stdout.write(f"  {entry['role']:<20} {entry['email']}")
            if entry["totp_secret"]:
                self.stdout.write(f"  {'':<20}   authenticator key {entry['totp_secret']}; "
                                  f"backup codes {' '.join(entry['backup_codes'])}")
