"""The pure domain core: types, rules and errors. Standard library only."""
