"""Job queues, job stores and input stores, one package per technology (independent of each other)."""
