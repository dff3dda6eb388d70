"""``python -m autbot.entrypoints.cli``."""

import sys

from autbot.entrypoints.cli import main

sys.exit(main())
