import sys

from tools.bench.command import main

sys.exit(main())
