"""The purpose policies shipped with Carnet (package data: ``default.yaml``)."""
