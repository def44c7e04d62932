"""``python -m designer`` is the ``outbound-designer`` command."""
import sys

from .cli import main

sys.exit(main())
