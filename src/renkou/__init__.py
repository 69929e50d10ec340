"""renkou (人口): county and township population monitoring and family services."""

__version__ = "0.1.0"
