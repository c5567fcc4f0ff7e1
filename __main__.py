"""`python -m whytag` runs the command-line interface."""

from whytag.cli import main

main()
