"""``python -m tests.audit.malformed [NAME-SUBSTRING ...]``: every case in a real process, as a table."""

import sys

from tests.audit.malformed.run import main

raise SystemExit(main(sys.argv[1:]))
