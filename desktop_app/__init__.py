"""Atelier's Qt front end. Views bind to view-models; only `bridge` talks to the engine."""
