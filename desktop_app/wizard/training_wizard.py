"""The training wizard: artworks -> photos -> name and options -> training -> done.

Contract with the main window: `TrainingWizard(bridge, parent, default_photos_dir)` and the
`style_created(Path)` signal, emitted once, as soon as the trainer has written the new style file
(so the gallery can show it even if the user leaves the last page open).

Everything is validated on these pages before `Train` is submitted; the engine then owns the run.
A run interrupted by closing the app (or Cancel) keeps its checkpoint in `engine.paths.runs_dir()`,
and the first page offers to resume it.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget, QWizard

from desktop_app.wizard.artworks_page import ArtworksPage
from desktop_app.wizard.done_page import DonePage
from desktop_app.wizard.folder_page import FolderPage
from desktop_app.wizard.options_page import OptionsPage
from desktop_app.wizard.run_page import RunPage
from desktop_app.wizard.runs import ResumableRun
from engine.messages import Train
from engine.paths import runs_dir
from engine.stylefile import slugify

MIN_PHOTOS = 4
ARTWORKS, PHOTOS, OPTIONS, RUN, DONE = range(5)


class TrainingWizard(QWizard):
    style_created = Signal(object)  # Path of the new style file

    def __init__(self, bridge, parent: QWidget | None = None, default_photos_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.setWindowTitle("Teach Atelier a new style")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Next >")
        self.resize(820, 620)
        # Extra Train fields, e.g. {"minutes": None, "steps": 3, "crop": 64} for tests and quick demos.
        self.request_overrides: dict = {}
        self.confirm_cancel = True  # ask before cancelling a running training (tests turn it off)
        self.outcome = None
        self.resume_run: ResumableRun | None = None
        self._emitted: Path | None = None

        self.artworks = ArtworksPage()
        self.photos = FolderPage("Your photos",
                                 "Photos like the ones you will stylize (people, places, things). Training shows "
                                 f"its progress on them. At least {MIN_PHOTOS} are needed.",
                                 "photo", MIN_PHOTOS, default_photos_dir)
        self.options = OptionsPage(bridge.catalog)
        self.run_page = RunPage(bridge)
        self.done_page = DonePage()
        for page_id, page in ((ARTWORKS, self.artworks), (PHOTOS, self.photos), (OPTIONS, self.options),
                              (RUN, self.run_page), (DONE, self.done_page)):
            self.setPage(page_id, page)
        self.setStartId(ARTWORKS)
        self.artworks.resume_requested.connect(self._resume)
        self.run_page.training_finished.connect(self._on_finished)

    # ------------------------------------------------------------------ flow
    def nextId(self) -> int:  # noqa: N802 (Qt name)
        current = self.currentId()
        if current == ARTWORKS and self.resume_run is not None:
            return RUN
        return {ARTWORKS: PHOTOS, PHOTOS: OPTIONS, OPTIONS: RUN, RUN: DONE}.get(current, -1)

    @Slot(object)
    def _resume(self, run: ResumableRun) -> None:
        self.resume_run = run
        self.next()

    def build_request(self) -> Train:
        """The Train request from the pages (or the chosen interrupted run), made on the GUI thread."""
        if self.resume_run is not None:
            run = self.resume_run
            self.resume_run = None  # a later Back/Next starts from the pages again
            art = run.art_dirs[0] if run.art_dirs else run.run_dir
            return Train(art_dir=art, photo_dir=run.photo_dir, name=run.name, run_dir=run.run_dir, resume=True,
                         device=self.options.device())
        o = self.options
        name = o.name()
        run_dir = runs_dir() / f"{slugify(name)}-{time.strftime('%Y%m%d-%H%M%S')}"
        fields = dict(art_dir=self.artworks.folder(), photo_dir=self.photos.folder(), name=name, run_dir=run_dir,
                      minutes=float(o.minutes.value()), base=o.base(), content_weight=o.content_weight(),
                      skin_colour_keep=o.skin_colour_keep(), strokes=o.strokes(), device=o.device(),
                      author=o.author())
        fields.update(self.request_overrides)
        return Train(**fields)

    @Slot(object)
    def _on_finished(self, outcome) -> None:
        self.outcome = outcome
        path = Path(outcome.style_path)
        if self._emitted != path:
            self._emitted = path
            self.style_created.emit(path)
        self.next()

    # ------------------------------------------------------------------ leaving
    def reject(self) -> None:
        if self.run_page.running:
            if self.confirm_cancel:
                answer = QMessageBox.question(
                    self, "Stop training?",
                    "Stop training now? Its progress is saved and you can resume it later from the first page "
                    "of this wizard. (To keep the best result as a style now, use \"Stop and keep the best "
                    "result\" instead.)")
                if answer != QMessageBox.StandardButton.Yes:
                    return
            self.run_page.cancel()
        super().reject()
