import sys

from tools.render.command import main

sys.exit(main())
