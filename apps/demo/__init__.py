"""The demo world loaded by `manage.py seed_demo`: demo logins, members, a year of history and today's
work, posted through the product's services. Installed by the development and test settings only,
never in production (its logins have a published password). Its data is in fixtures/demo/."""
