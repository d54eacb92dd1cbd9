"""The web surfaces: the ASGI app, the admin API and its guard, the dashboard, uvicorn."""
