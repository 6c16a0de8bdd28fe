"""`python -m bot` is the same program as `quizbot`."""

import sys

from bot.cli import main

sys.exit(main())
