"""policyclf: tag Chinese policy text with the policy measures it contains."""

from __future__ import annotations

__version__ = "0.1.0"
