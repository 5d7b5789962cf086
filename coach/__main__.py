"""`python -m coach` is the same as the `coach` command."""

from coach.cli.main import entry_point

if __name__ == "__main__":  # not when the listening process is spawned, which imports this as __mp_main__
    entry_point()
