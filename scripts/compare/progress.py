"""Progress lines on stderr, stamped with the seconds since the run started."""

import sys
import time

STARTED = time.monotonic()


def elapsed_s():
    return time.monotonic() - STARTED


def progress(text):
    print(f"[compare {elapsed_s():5.0f}s] {text}", file=sys.stderr, flush=True)
