"""The core: request and reply types, routing, contracts, patterns, commands, the clock.

Pure Python over plain data: nothing here imports a web framework, a provider, the journal, the
engine or a test tool.
"""
