"""``python -m policyclf``: the same as the ``policyclf`` command."""

from __future__ import annotations

import sys

from policyclf.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
