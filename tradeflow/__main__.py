"""``python -m tradeflow`` runs the command line."""

import sys

from tradeflow.cli import main

sys.exit(main())
