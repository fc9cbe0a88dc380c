"""Bundled YAML presets, loaded by name with `--config NAME`."""
