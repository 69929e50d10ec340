"""The registry pages: person search and the person page, the organisation tree, and the
registration and correction forms — a thin shell over renkou.registry."""
