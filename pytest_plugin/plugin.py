"""pytest glue, registered through the `pytest11` entry point."""
