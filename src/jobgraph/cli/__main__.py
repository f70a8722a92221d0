"""``python -m jobgraph.cli``: the command line, as the ``jobgraph`` script runs it."""

import sys

from . import main

sys.exit(main())
