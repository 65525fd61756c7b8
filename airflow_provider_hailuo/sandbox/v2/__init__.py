"""The sandbox's fake of MiniMax's v2 video API (the MiniMax-H3 family), per ``minimax-api-v2.md``.

Independent of the provider's client code on purpose: it imports nothing from the catalogue,
protocol, validation or exceptions modules, so a wrong assumption there fails against it.
"""

from .routes import add_v2_routes

__all__ = ["add_v2_routes"]
