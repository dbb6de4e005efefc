"""`python -m tools.bench`: see command.py."""

import sys

from tools.bench.command import main

sys.exit(main())
