"""Driving a mock from tests (needs httpx): control backends, sessions, the fixture's handle."""
