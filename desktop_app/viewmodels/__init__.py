"""View-models: the state the widgets show, and the only callers of the engine bridge."""
