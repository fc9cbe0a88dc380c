""".pose files to features: reading, point selection, normalisation, augmentation."""
