"""The commands of the `census` command line, one module per group; each adds its commands to `cli.app`.

`cli.py` holds the app, the options shared by commands, the small rendering helpers and `main`; it imports
these modules in the order the commands are listed in `census --help`.
"""
