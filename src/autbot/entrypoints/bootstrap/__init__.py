"""The composition root: the container, adapter factories by port family, resilience and instrument wrappers."""
