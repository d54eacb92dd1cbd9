"""The engine: the active scenarios, one lock, one request path, the recorder."""
