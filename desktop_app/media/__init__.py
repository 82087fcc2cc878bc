"""Media: where live pictures come from and where video files are read and written.

Cameras and video files behind one `FrameSource` interface, ffmpeg reader/writer threads for
exporting a video, and atomic file writes for snapshots. Nothing here talks to the engine: the live
view-model moves frames between these sources and the engine bridge.
"""
