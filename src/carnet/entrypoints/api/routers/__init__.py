"""entrypoints/api/routers."""
