"""The `renkou` command line: a thin shell over the registry and exchange services."""
