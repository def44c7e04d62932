"""Entry script of the PyInstaller bundle: the same front door as the ``outbound-designer``
console script (``designer.cli:main``)."""
import multiprocessing
import sys

from designer.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless unless a worker process is ever started
    sys.exit(main())
