"""The `mockserver` command: serve, validate, scenarios, openapi."""
