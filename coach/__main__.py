"""`python -m coach` is the same as the `coach` command."""

from coach.cli.main import entry_point

entry_point()
