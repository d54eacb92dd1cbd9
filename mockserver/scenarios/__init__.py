"""Scenarios: YAML files read with line numbers, the typed model, scripted interactions."""
