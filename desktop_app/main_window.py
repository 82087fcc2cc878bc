"""The main window: gallery on the left, Photo / Batch / Live tabs, menus, status bar, banner.

The composition root: it builds the view-models (one shared look for every tab) around the bridge
and the engine services from `desktop_app.composition`, binds the views to them and owns the dialogs.
It never talks to the engine itself except to shut the bridge down when the window closes.
Everything it needs can be injected (bridge, catalog, settings, services) so tests drive the real
engine with tiny fixture styles, or a scripted one.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.bridge import EngineBridge
from desktop_app.composition import engine_services, make_bridge
from desktop_app.live.live_view import LiveView
from desktop_app.settings import AppSettings
from desktop_app.updates import RELEASE_FEED, Release, UpdateChecker
from desktop_app.viewmodels.app import AppViewModel, about_markdown
from desktop_app.viewmodels.batch import BatchViewModel
from desktop_app.viewmodels.gallery import GalleryViewModel, describe_style
from desktop_app.viewmodels.live import LiveViewModel
from desktop_app.viewmodels.look import LookViewModel
from desktop_app.viewmodels.photo import SAVE_FORMATS, PhotoViewModel
from desktop_app.viewmodels.services import EngineServices
from desktop_app.viewmodels.training import TrainingViewModel
from desktop_app.widgets.banner import ErrorBanner
from desktop_app.widgets.batch_panel import BatchPanel
from desktop_app.widgets.dialogs import AboutDialog, PreferencesDialog
from desktop_app.widgets.gallery_panel import GalleryPanel
from desktop_app.widgets.help import HelpDialog
from desktop_app.widgets.photo_panel import PhotoPanel
from desktop_app.wizard.training_wizard import TrainingWizard
from engine.catalog import Catalog
from engine.stylefile import SUFFIX

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.heic *.heif *.avif *.tif *.tiff *.bmp *.gif);;All files (*)"
SAVE_FILTERS = {"jpg": "JPEG image (*.jpg)", "png": "PNG image (*.png)", "webp": "WebP image (*.webp)"}
STYLE_FILTER = f"Atelier styles (*{SUFFIX})"
TAB_PHOTO, TAB_BATCH, TAB_LIVE = 0, 1, 2


class MainWindow(QMainWindow):
    def __init__(self, bridge: EngineBridge | None = None, catalog: Catalog | None = None,
                 settings: AppSettings | None = None, open_path: Path | None = None,
                 services: EngineServices | None = None, update_feed: str = RELEASE_FEED) -> None:
        super().__init__()
        self.settings = settings or AppSettings()
        self.update_checker = UpdateChecker(update_feed, parent=self)
        self.bridge = bridge or make_bridge(catalog)
        self.services = services or engine_services()
        self._closing = False
        self.app_vm = AppViewModel(self.bridge, self.settings)
        self.look = LookViewModel(self.settings)
        self.gallery = GalleryViewModel(self.bridge.catalog, self.app_vm, self.look)
        self.photo = PhotoViewModel(self.app_vm, self.look, self.gallery, self.services)
        self.batch = BatchViewModel(self.app_vm, self.look, self.gallery, self.services, self.settings)
        self.live = LiveViewModel(self.app_vm, self.look, self.gallery, self.services)
        self.live.mirror = self.settings.flag("live/mirror")
        self.live.show_stats = self.settings.flag("live/show_stats")
        self.wizard: TrainingWizard | None = None

        self.gallery_panel = GalleryPanel(self.gallery)
        self.photo_panel = PhotoPanel(self.photo)
        self.batch_panel = BatchPanel(self.batch)
        self.live_holder = QWidget()
        QVBoxLayout(self.live_holder).setContentsMargins(0, 0, 0, 0)
        self.live_view: LiveView | None = None  # built on first visit: listing cameras can take a moment
        self.tabs = QTabWidget()
        self.tabs.addTab(self.photo_panel, "Photo")
        self.tabs.addTab(self.batch_panel, "Batch")
        self.tabs.addTab(self.live_holder, "Live")
        self.tabs.setTabToolTip(TAB_PHOTO, "Paint one photo and compare before and after")
        self.tabs.setTabToolTip(TAB_BATCH, "Paint a whole folder of photos")
        self.tabs.setTabToolTip(TAB_LIVE, "Your webcam, live, in the chosen style")
        self.tabs.currentChanged.connect(self._on_tab)

        self.splitter = QSplitter()
        self.splitter.addWidget(self.gallery_panel)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.banner = ErrorBanner(self.app_vm)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self._build_status_bar()
        self._build_menus()
        self._connect()
        self.gallery.refresh()
        self._restore_geometry()
        self._update_title()
        if open_path is not None:
            self.photo.open_file(Path(open_path))

    # ---------------------------------------------------------------------------- construction
    def _build_status_bar(self) -> None:
        self.device_label = QLabel()
        self.device_label.setToolTip(f"The device that paints (change it in Preferences).\n"
                                     f"This installation runs {self.app_vm.build_text}.")
        self.last_run_label = QLabel("Last run: —")
        self.last_run_label.setToolTip("How long the last job took")
        metrics = self.last_run_label.fontMetrics()
        self.last_run_label.setMinimumWidth(metrics.horizontalAdvance("Last run: 00 min 00 s"))
        self.update_label = QLabel()  # the non-modal update notice: a link to the release page
        self.update_label.setOpenExternalLinks(True)
        self.update_label.hide()
        bar = self.statusBar()
        bar.addPermanentWidget(self.update_label)
        bar.addPermanentWidget(self.last_run_label)
        bar.addPermanentWidget(self.device_label)
        self._show_device(self.app_vm.device_text)

    def _action(self, menu, text: str, slot, shortcuts=(), tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.open_action = self._action(file, "&Open photo…", self.open_photo, [QKeySequence.StandardKey.Open],
                                        "Open a photo to paint")
        self.paste_action = self._action(file, "&Paste photo", self.paste, [QKeySequence.StandardKey.Paste],
                                         "Use the picture on the clipboard")
        self.save_action = self._action(file, "&Save as…", self.save_as, [QKeySequence.StandardKey.Save],
                                        "Paint at full resolution and save under a new name")
        file.addSeparator()
        self.batch_action = self._action(file, "Start &batch", self.start_batch, ["Ctrl+Return", "Ctrl+Enter"],
                                         "Paint every photo of the batch folder")
        self.cancel_action = self._action(file, "&Cancel", self.cancel_current, [Qt.Key.Key_Escape],
                                          "Stop the running batch or save")
        file.addSeparator()
        self._action(file, "Pr&eferences…", self.preferences, [QKeySequence.StandardKey.Preferences],
                     "Choose the device, and where and how paintings are saved")
        self._action(file, "&Quit", self.close, [QKeySequence.StandardKey.Quit])

        style = bar.addMenu("&Style")
        self._action(style, "&Previous style", lambda: self.gallery.step(-1), ["[", Qt.Key.Key_PageUp])
        self._action(style, "&Next style", lambda: self.gallery.step(1), ["]", Qt.Key.Key_PageDown])
        style.addSeparator()
        self._action(style, "&Import…", self.import_style, tip="Add a shared .atelier-style file")
        self._action(style, "&Export…", lambda: self.export_style(self.gallery.current),
                     tip="Save the chosen style as a file to share")
        self.delete_action = self._action(style, "&Delete", lambda: self.delete_style(self.gallery.current),
                                          tip="Remove one of your own styles")
        self._action(style, "Show &info", lambda: self.show_style_info(self.gallery.current))
        style.addSeparator()
        self.wizard_action = self._action(style, "New style from &artworks…", self.open_wizard,
                                          tip="Teach Atelier a new style from 10-30 of your artworks")

        view = bar.addMenu("&View")
        self._action(view, "&Fit to window", self.photo_panel.canvas.fit, ["Ctrl+0"])
        self._action(view, "&Actual size (100 %)", self.photo_panel.canvas.actual_size, ["Ctrl+1"])
        for index, name in ((TAB_PHOTO, "&Photo"), (TAB_BATCH, "&Batch"), (TAB_LIVE, "&Live")):
            self._action(view, name, lambda _c=False, i=index: self.tabs.setCurrentIndex(i), [f"Alt+{index + 1}"])
        view.addSeparator()
        self.stats_action = self._action(view, "Show live frame &rate", lambda on: setattr(self.live, "show_stats", on),
                                         tip="Frames per second, latency and resolution over the live picture")
        self.stats_action.setCheckable(True)
        self.stats_action.setChecked(self.live.show_stats)
        self.live.show_stats_changed.connect(self.stats_action.setChecked)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Quick guide and shortcuts", self.show_help, [QKeySequence.StandardKey.HelpContents,
                                                                               "F1"],
                     "Five steps from photo to painting, and every keyboard shortcut")
        self._action(help_menu, "&About Atelier", self.about)

    def _connect(self) -> None:
        self.app_vm.device_text_changed.connect(self._show_device)
        self.app_vm.last_run_text_changed.connect(self.last_run_label.setText)
        self.app_vm.notice_posted.connect(lambda m: self.statusBar().showMessage(m, 10000))
        self.look.style_changed.connect(self._on_style)
        self.update_checker.available.connect(self._show_update)
        self.gallery_panel.import_requested.connect(self.import_style)
        self.gallery_panel.new_style_requested.connect(self.open_wizard)
        self.photo.before_changed.connect(self.gallery.show_photo)  # the cards paint the open photo
        self.gallery_panel.export_requested.connect(self.export_style)
        self.gallery_panel.delete_requested.connect(self.delete_style)
        self.gallery_panel.info_requested.connect(self.show_style_info)
        self.photo_panel.open_requested.connect(self.open_photo)
        self.photo_panel.save_requested.connect(self.save_as)
        self.batch_panel.start_requested.connect(self.start_batch)
        self.photo.title_changed.connect(lambda _t: self._update_title())

    def _restore_geometry(self) -> None:
        geometry = self.settings.blob("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 820)
        state = self.settings.blob("window/state")
        if state is not None:
            self.restoreState(state)
        splitter = self.settings.blob("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([310, 970])

    # ---------------------------------------------------------------------------- reactions
    def _show_device(self, text: str) -> None:
        self.device_label.setText(f"Device: {text}")

    def _update_title(self) -> None:
        self.setWindowTitle(f"Atelier — {self.photo.title}" if self.photo.title else "Atelier")

    def _on_style(self, _slug: str) -> None:
        entry = self.gallery.entry()
        self.delete_action.setEnabled(entry is not None and not entry.builtin)

    def _on_tab(self, index: int) -> None:
        if index == TAB_LIVE:
            self._ensure_live()
        else:
            self.live.shutdown()  # release the camera and the engine when the tab is left

    def _ensure_live(self) -> LiveView:
        """Build the live view on first visit."""
        if self.live_view is None:
            self.live_view = LiveView(self.live, self.live_holder)
            self.live_holder.layout().addWidget(self.live_view)
        return self.live_view

    # ---------------------------------------------------------------------------- photo actions
    def open_photo(self) -> None:
        start = str(self.settings.folder("photo") or Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Open photo", start, IMAGE_FILTER)
        if name:
            self.settings.set_folder("photo", Path(name).parent)
            self.tabs.setCurrentIndex(TAB_PHOTO)
            self.photo.open_file(Path(name))

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        self.tabs.setCurrentIndex(TAB_PHOTO)
        if mime is not None and mime.hasImage():
            self.photo.set_image(QGuiApplication.clipboard().image())
        elif mime is not None and mime.hasUrls() and mime.urls()[0].isLocalFile():
            self.photo.open_file(Path(mime.urls()[0].toLocalFile()))
        elif mime is not None and mime.hasText() and Path(mime.text().strip()).is_file():
            self.photo.open_file(Path(mime.text().strip()))
        else:
            self.app_vm.report_error("The clipboard holds no picture. Copy an image or an image file first")

    def save_as(self) -> None:
        if not self.photo.has_photo or not self.gallery.current:
            self.app_vm.report_error("Open a photo and pick a style before saving")
            return
        prefs = self.app_vm.output
        fmt = self.photo.default_format(prefs.format)
        preferred = Path(prefs.folder) if prefs.folder and Path(prefs.folder).is_dir() else None
        folder = preferred or self.settings.folder("save") or (self.photo.source_path.parent
                                                                if self.photo.source_path else Path.home())
        filters = ";;".join(SAVE_FILTERS.values())
        suggested = str(folder / self.photo.suggested_name(fmt))
        name, chosen = QFileDialog.getSaveFileName(self, "Save painting as", suggested, filters, SAVE_FILTERS[fmt])
        if not name:
            return
        dest = Path(name)
        fmt = next((k for k, v in SAVE_FILTERS.items() if v == chosen), fmt)
        if dest.suffix.lower().lstrip(".").replace("jpeg", "jpg") not in SAVE_FORMATS:
            dest = dest.with_name(dest.name + "." + fmt)
        self.settings.set_folder("save", dest.parent)
        self.photo.save_as(dest)

    # ---------------------------------------------------------------------------- batch / cancel
    def start_batch(self) -> None:
        self.tabs.setCurrentIndex(TAB_BATCH)
        self.batch.start()

    def cancel_current(self) -> None:
        if not self.batch.cancel():
            self.photo.cancel()

    # ---------------------------------------------------------------------------- style actions
    def import_style(self) -> None:
        start = str(self.settings.folder("style") or Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Import style", start, STYLE_FILTER)
        if name:
            self.settings.set_folder("style", Path(name).parent)
            self.gallery.import_file(Path(name))

    def export_style(self, slug: str) -> None:
        entry = self.gallery.entry(slug)
        if entry is None:
            return
        start = (self.settings.folder("style") or Path.home()) / f"{entry.slug}{SUFFIX}"
        name, _ = QFileDialog.getSaveFileName(self, "Export style", str(start), STYLE_FILTER)
        if name:
            self.settings.set_folder("style", Path(name).parent)
            self.gallery.export(slug, Path(name))

    def delete_style(self, slug: str) -> None:
        entry = self.gallery.entry(slug)
        if entry is None or entry.builtin:
            return
        answer = QMessageBox.question(self, "Delete style",
                                      f"Delete your style “{entry.name}”? This cannot be undone.",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self.gallery.remove(slug)

    def show_style_info(self, slug: str) -> None:
        entry = self.gallery.entry(slug)
        if entry is not None:
            box = QMessageBox(QMessageBox.Icon.NoIcon, entry.name, describe_style(entry), parent=self)
            box.setTextFormat(Qt.TextFormat.RichText)
            box.setModal(False)
            box.show()

    def open_wizard(self) -> TrainingWizard:
        """Show the training wizard (the one already open, if it is)."""
        if self.wizard is None or not self.wizard.isVisible():
            vm = TrainingViewModel(self.app_vm, self.bridge.catalog, self.services, self.settings.folder("photo"))
            vm.style_created.connect(self._on_style_created)
            self.wizard = TrainingWizard(vm, self)
        self.wizard.show()
        self.wizard.raise_()
        return self.wizard

    def _on_style_created(self, path: object) -> None:
        slug = Path(str(path)).name.removesuffix(SUFFIX)
        self.gallery.refresh(select=slug)
        self.app_vm.post_notice(f"New style “{self.gallery.current_name}” is ready")

    # ---------------------------------------------------------------------------- dialogs
    def preferences(self) -> None:
        dialog = PreferencesDialog(self.app_vm.device, self, self.app_vm.device_choices(), self.app_vm.output,
                                   check_updates=bool(self.settings.update_consent))
        if dialog.exec() == PreferencesDialog.DialogCode.Accepted:
            self.app_vm.set_output(dialog.chosen_output())
            self.settings.update_consent = dialog.check_updates.isChecked()
            if dialog.chosen_device() != self.app_vm.device:
                self.app_vm.set_device(dialog.chosen_device())
                self.photo.refresh_preview()

    def show_help(self) -> HelpDialog:
        dialog = HelpDialog([a for m in self.menuBar().findChildren(QMenu) for a in m.actions()], self)
        dialog.setModal(False)
        dialog.show()
        return dialog

    # ---------------------------------------------------------------------------- updates
    def offer_update_check(self, ask=None) -> None:
        """At start-up: ask once whether Atelier may check for updates, then check only if allowed."""
        allowed = self.settings.update_consent
        if allowed is None:
            allowed = bool((ask or self.ask_update_consent)())
            self.settings.update_consent = allowed
        if allowed:
            self.update_checker.check()

    def ask_update_consent(self) -> bool:
        answer = QMessageBox.question(
            self, "Check for updates?",
            "May Atelier look online for a newer version each time it starts?\n\n"
            "It only reads the project's release page. Nothing is sent about you or your pictures, and "
            "nothing is downloaded or installed: a new version is shown as a link in the status bar. "
            "You can change this in Preferences.")
        return answer == QMessageBox.StandardButton.Yes

    def _show_update(self, release: Release) -> None:
        self.update_label.setText(f'Atelier {release.version} is available: <a href="{release.url}">download page</a>')
        self.update_label.show()

    def about(self) -> None:
        AboutDialog(about_markdown(), self).exec()

    # ---------------------------------------------------------------------------- closing
    def confirm_close_during_batch(self) -> bool:
        """Asked only while a batch runs (tests replace it)."""
        answer = QMessageBox.question(
            self, "A batch is running",
            "A batch is still running. Stop it and quit?\n\nPhotos already painted are kept; "
            "start the batch again later to do the rest.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self._closing:
            event.accept()
            return
        if self.batch.running and not self.confirm_close_during_batch():
            event.ignore()
            return
        self._closing = True
        self.batch.cancel()
        self.photo.cancel()
        self.live.shutdown()
        if self.wizard is not None and self.wizard.vm.running:
            self.wizard.vm.cancel()  # its checkpoint is kept: the wizard offers to resume next time
        self._remember()
        self.bridge.shutdown()  # cancels every job and joins the engine thread
        event.accept()

    def _remember(self) -> None:
        s = self.settings
        s.set_value("window/geometry", QByteArray(self.saveGeometry()))
        s.set_value("window/state", QByteArray(self.saveState()))
        s.set_value("window/splitter", QByteArray(self.splitter.saveState()))
        s.set_value("live/mirror", self.live.mirror)
        s.set_value("live/show_stats", self.live.show_stats)
        self.batch.remember()
        s.sync()
