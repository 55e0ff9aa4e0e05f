"""Settings: one module per environment (base, dev, test, production), all read from env vars."""
