"""CLI commands: being built."""
COMMANDS = ()
