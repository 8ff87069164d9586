"""Version information for nengo-dl-trainable."""

version_info = (0, 1, 0, "dev0")
version = "0.1.0.dev0"
