"""Live webcam/video stylization: frame sources, the single-slot session, the governor, the view."""
