"""The pose and text towers, presets, saving and loading."""
