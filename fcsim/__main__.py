"""``python -m fcsim`` runs the command-line interface."""

from fcsim.cli import main

raise SystemExit(main())
