"""Synthetic county generator: a simulated, fictitious population with history."""
