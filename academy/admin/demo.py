"""flask demo seed: being built."""
COMMANDS = ()
