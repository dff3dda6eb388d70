"""Ports: the small protocols the use cases need, named by role."""
