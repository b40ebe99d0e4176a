"""The ``policyclf`` command line (see :mod:`policyclf.cli.main`).

Each subcommand lives in its own module (``tag``, ``train``, ``evaluate``, ``taxonomy``,
``info``) with ``add_parser`` and ``run``; they import pandas and scikit-learn only when a
command needs them, so ``policyclf tag`` on plain text starts fast.
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the ``policyclf`` command; see :func:`policyclf.cli.main.main`."""
    from .main import main as _main

    return _main(argv)
