"""Settings: base.py wired from config/env.py; test.py and production.py only adjust it."""
