"""The live tab's views (the picture, the controls) and the resolution governor its view-model uses.

The session itself is `desktop_app.viewmodels.live.LiveViewModel`; cameras and video files are in
`desktop_app.media`.
"""
