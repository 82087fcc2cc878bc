"""`python -m desktop_app` behaves like the `atelier` command."""

import sys

from desktop_app.launcher import main

sys.exit(main())
