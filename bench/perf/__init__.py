"""Speed and memory suites: each figure is a ratio or a difference against a baseline measured in the same run."""
