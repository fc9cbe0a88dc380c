"""Importers that turn public datasets' own layouts into manifest records."""
