"""adapters/render."""
