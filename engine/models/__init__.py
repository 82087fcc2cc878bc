"""Generators (photo -> painting) and discriminators (is this crop a painting?)."""
