"""pytest glue, registered through the `pytest11` entry point. Fixtures arrive with the plugin issue."""
