"""Lambda entry points. Each is a few lines around a plain function that runs locally too."""
