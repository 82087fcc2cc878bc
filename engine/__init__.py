"""Atelier's engine: style generators, stylization, training and the engine thread.

This package never imports Qt: it runs headless in tests, in the command line tool and on the
engine thread of the desktop app (a test enforces this).
"""

__version__ = "0.1.0"
