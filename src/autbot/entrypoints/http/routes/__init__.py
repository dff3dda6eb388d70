"""Route handlers by family. They receive use cases as dependencies and translate Structs to domain requests."""
