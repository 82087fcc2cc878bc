"""Widgets: they show view-model properties and forward user intent; none calls the engine."""
