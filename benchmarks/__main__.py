"""`make bench`: run every benchmark script and print where the JSON results went.

Benchmarks are scripts, not timed tests (STYLE.md). Each module below has a `main()` that
prints a table and writes `benchmarks/results/<name>.json`. Run one alone with
`python -m benchmarks.<name>`; pick some with `python -m benchmarks name1 name2`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time

# The order matters: importing feeds first, then the engine built on them.
BENCHMARKS = [
    "feed_import",
    "routing_engine",
    "api_plan",
    "api_plan_multimodal",
    "pyraptor_compare",  # about 16 minutes: pyraptor is slow
]


def main(argv: list[str]) -> int:
    selected = argv or BENCHMARKS
    failed = []
    for name in selected:
        if importlib.util.find_spec(f"benchmarks.{name}") is None:
            print(f"== {name}: not present yet, skipped")
            continue
        print(f"== {name}")
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        sys.argv = [name]  # each script parses its own options; run them with defaults
        try:
            module.main()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            print(f"!! {name} failed: {exc!r}")
            failed.append(name)
        print(f"== {name} done in {time.perf_counter() - started:.1f} s\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
