"""signclip: text and sign-language poses in one embedding space."""

__version__ = "0.1.0"
