"""``python -m docfraud``: the same as the ``docfraud`` command."""

import sys

from docfraud.cli import main

sys.exit(main())
