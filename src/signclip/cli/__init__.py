"""The `signclip` command line."""
