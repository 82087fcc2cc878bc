"""Help ▸ Quick guide and shortcuts: five steps from photo to painting, and every key the app knows.

The shortcut table is made from the menu actions themselves, so it can never list a key that does
not work (or miss one that does).
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

GUIDE = """# Quick guide

1. **Pick a style** in the gallery on the left. Each card shows one of the painter's own works beside
   your photo in that style, so you can compare before choosing. **[** and **]** step through them.
2. **Open a photo** (Ctrl+O), drop one on the window, or paste one (Ctrl+V). Drag the white line to
   compare before and after; double-click or Ctrl+1 shows the real pixels at 100 %.
3. **Set the look**: *Strength* blends the painting over the photo, *Brushwork* adds painted strokes on
   top of the style's own, *Preserve colours* keeps the photo's colours. Photo, Batch and Live share
   this one look: what the preview shows is what a batch paints.
4. **Save as…** (Ctrl+S) paints the photo at full resolution under a new name. Your original is never
   changed. Preferences set the folder, the format, the JPEG quality and the largest size.
5. **Batch** paints a whole folder; **Live** shows your camera (or a video) in the style; **+ New style**
   under the gallery teaches Atelier a style from your own artworks.

The status bar shows the device that paints; a GPU is much faster (Preferences).
"""

LIVE_KEYS = (("Space", "Live: start or stop"), ("← / →, 1-9", "Live: another style"), ("M", "Live: mirror"),
             ("S", "Live: save a snapshot"))


def shortcuts_markdown(actions: list[QAction]) -> str:
    rows = []
    for action in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts() if not k.isEmpty()]
        if keys:
            rows.append((" or ".join(keys), action.text().replace("&", "").rstrip("…")))
    rows += list(LIVE_KEYS)
    return "## Keyboard shortcuts\n\n| Keys | What they do |\n|---|---|\n" + "".join(
        f"| {keys} | {what} |\n" for keys, what in rows)


class HelpDialog(QDialog):
    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Atelier — quick guide and shortcuts")
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(GUIDE + "\n" + shortcuts_markdown(actions))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(640, 620)
