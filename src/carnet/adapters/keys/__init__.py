"""adapters/keys."""
