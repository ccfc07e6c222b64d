"""``python -m ceilocompat`` runs the command line."""

import sys

from ceilocompat.cli import main

if __name__ == "__main__":  # not when a spawned child process re-imports it
    sys.exit(main())
