"""Command line: `kizone report`, and the commands behind the Makefile targets."""
