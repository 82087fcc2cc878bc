"""View-models: the state the views show, one per screen plus the shared look, and the only callers of
the engine bridge. Each job they submit comes back as its own handle (`desktop_app.bridge.JobHandle`)."""
