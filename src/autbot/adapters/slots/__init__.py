"""Bounded concurrent generations with a short queue."""
