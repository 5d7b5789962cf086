"""The `coach` command (typer): thin, one module per command, and the only printer.

May use every other folder.
"""
