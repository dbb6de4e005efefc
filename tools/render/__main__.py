"""`python -m tools.render`: see command.py."""

import sys

from tools.render.command import main

sys.exit(main())
