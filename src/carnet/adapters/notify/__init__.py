"""adapters/notify."""
