"""``python -m ceilocompat`` runs the command line."""

import sys

from ceilocompat.cli import main

sys.exit(main())
