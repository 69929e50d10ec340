"""One module per benchmarked capability; see bench/__main__.py for the interface."""
