"""The journal: every exchange as evidence, its listings and exports, near misses and coverage."""
