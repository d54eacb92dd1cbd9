"""pytest plugin for the appointment-cancellation mock server."""
