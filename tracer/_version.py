"""The package version: a leaf module, so any layer can read it at import."""
__version__ = "0.1.0"
