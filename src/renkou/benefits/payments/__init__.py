"""Payment batches, the checks before release, and the bank's files."""
