"""The training wizard: artworks -> photos -> name and options -> training -> done.

A view of one `TrainingViewModel` (`TrainingWizard(vm, parent)`); the view-model's `style_created(Path)`
is emitted once, as soon as the trainer has written the new style file (so the gallery can show it
even if the user leaves the last page open).

Everything is validated on these pages before `Train` is submitted; the engine then owns the run.
A run interrupted by closing the app (or Cancel) keeps its checkpoint, and the first page offers to
resume it.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QMessageBox, QWidget, QWizard

from desktop_app.viewmodels.training import MIN_PHOTOS, TrainingViewModel
from desktop_app.viewmodels.training_runs import ResumableRun
from desktop_app.wizard.artworks_page import ArtworksPage
from desktop_app.wizard.done_page import DonePage
from desktop_app.wizard.folder_page import FolderPage
from desktop_app.wizard.options_page import OptionsPage
from desktop_app.wizard.run_page import RunPage

ARTWORKS, PHOTOS, OPTIONS, RUN, DONE = range(5)


class TrainingWizard(QWizard):
    def __init__(self, vm: TrainingViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setWindowTitle("Teach Atelier a new style")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Next >")
        self.resize(900, 700)
        self.confirm_cancel = True  # ask before cancelling a running training (tests turn it off)
        self.resume_run: ResumableRun | None = None

        self.artworks = ArtworksPage(vm)
        self.photos = FolderPage(vm.photos, "Your photos",
                                 "Photos like the ones you will stylize (people, places, things). Training shows "
                                 f"its progress on them. At least {MIN_PHOTOS} are needed.")
        self.options = OptionsPage(vm)
        self.run_page = RunPage(vm)
        self.done_page = DonePage(vm)
        for page_id, page in ((ARTWORKS, self.artworks), (PHOTOS, self.photos), (OPTIONS, self.options),
                              (RUN, self.run_page), (DONE, self.done_page)):
            self.setPage(page_id, page)
        self.setStartId(ARTWORKS)
        self.artworks.resume_requested.connect(self._resume)
        self.done_page.train_longer_requested.connect(self._train_longer)
        vm.state_changed.connect(self._on_state)

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

    def start_training(self) -> None:
        """Called by the run page: the chosen interrupted run, or a new one from the pages."""
        if self.resume_run is not None:
            run, self.resume_run = self.resume_run, None  # a later Back/Next starts from the pages again
            self.vm.start(self.vm.request_to_resume(run, self.options.device()))
        else:
            self.vm.start(self.vm.request_for(self.options.choices()))

    def _train_longer(self, minutes: float) -> None:
        """From the last page back to the run page, continuing the same run."""
        if self.vm.train_longer(minutes):
            self.back()

    def _on_state(self, state: str) -> None:
        if state == "finished" and self.currentId() == RUN:
            self.next()

    # ------------------------------------------------------------------ leaving
    def reject(self) -> None:
        if self.vm.running:
            if self.confirm_cancel:
                answer = QMessageBox.question(
                    self, "Stop training?",
                    "Stop training now? Its progress is saved and you can resume it later from the first page "
                    "of this wizard. (To keep the best result as a style now, use \"Stop and keep the best "
                    "result\" instead.)")
                if answer != QMessageBox.StandardButton.Yes:
                    return
            self.vm.cancel()
        super().reject()
