"""The scale-out job machinery on one Redis that every API replica and ``autbot worker`` reaches: Dramatiq's Redis
broker for messages, Redis keys for job records and for inputs."""
