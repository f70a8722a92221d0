"""``python -m benchmarks``: the whole benchmark (see benchmarks/README.md)."""

import sys

from .run import main

sys.exit(main())
