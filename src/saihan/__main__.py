"""``python -m saihan`` runs the command line."""

import sys

from saihan.cli import main

sys.exit(main())
