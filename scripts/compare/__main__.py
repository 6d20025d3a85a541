"""`python3 -m compare` (with scripts/ on PYTHONPATH): what `make compare` runs."""

import sys

from .cli import main
from .processes import kill_everything

try:
    sys.exit(main(sys.argv[1:]))
finally:
    kill_everything()
