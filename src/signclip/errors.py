"""Errors that reach the user as one line: each names the file, key or value at fault."""


class SignclipError(Exception):
    """Base class: the CLI prints these as a single line and exits non-zero."""


class ConfigError(SignclipError):
    """An unknown key, a wrong type or an impossible value in a configuration."""


class PoseFileError(SignclipError):
    """A `.pose` file that is missing, corrupt, truncated, empty or of an unsupported layout."""


class ManifestError(SignclipError):
    """A manifest that cannot be read, or rows that point to nothing usable."""


class ModelFolderError(SignclipError):
    """A saved model folder that is missing files or does not match its config."""
