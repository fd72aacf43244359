"""Agents answering from their mail client: recognise a signed agent reply, check it, store and relay it.

Import the submodules directly (``mailgate.agentmail.planning``, ``.store``); this package module imports
nothing, so ``mailgate.pipeline`` can depend on it without an import cycle.
"""
