"""``python -m minicnn ...`` is the same as the ``minicnn`` command."""

from minicnn.cli import main

raise SystemExit(main())
