"""The analysis layer stays out of the way of tagging: nothing heavy is imported early."""

from __future__ import annotations

import subprocess
import sys


def test_tagging_and_importing_analysis_import_no_pandas_or_matplotlib() -> None:
    code = (
        "import sys, policyclf, policyclf.analysis\n"
        "m = policyclf.load(); t = m.tag('对博士给予补贴。'); repr(t); t._repr_html_()\n"
        "import policyclf.analysis.rates\n"
        "print(sorted(k for k in ('pandas', 'sklearn', 'matplotlib') if k in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
