"""The error every configuration problem raises (a leaf: the parsers of settings use it)."""


class ConfigError(Exception):
    """A setting is unknown, missing or of the wrong type."""
