"""The plan catalog: the shipped TOML file and its loader."""
