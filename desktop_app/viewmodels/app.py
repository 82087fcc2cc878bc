"""Application-wide state: chosen device, what the status bar shows, errors for the banner.

Every other view-model reports through here, so a failure anywhere reaches one visible place and
the status bar always tells which device ran the last job and how long it took.
"""

from __future__ import annotations

from PySide6.QtCore import Signal

from desktop_app.bridge import EngineBridge
from desktop_app.settings import AppSettings
from desktop_app.viewmodels.properties import ObservableObject, Property
from engine.errors import AtelierError
from engine.messages import JobFailed, JobFinished, JobNotice, JobStarted


def torch_build() -> str:
    from engine.devices import torch_build as build

    return build()


def describe_device(spec: str) -> str:
    """What the status bar shows before any job ran: the device a request with `spec` would get."""
    from engine.devices import resolve_device

    try:
        return resolve_device(spec).describe()
    except AtelierError as exc:
        return f"{spec} (not available: {exc})"


class AppViewModel(ObservableObject):
    device = Property("auto")          # the user's choice, sent with every request
    device_text = Property("")         # the device that actually runs (from JobStarted)
    last_run_text = Property("")       # e.g. "last run 1.2 s"
    error_text = Property("")          # shown in the banner until dismissed
    error_detail = Property("")        # technical detail for a bug report
    notice_posted = Signal(str)        # transient status-bar message

    def __init__(self, bridge: EngineBridge, settings: AppSettings) -> None:
        super().__init__()
        self.bridge = bridge
        self.settings = settings
        self.device = settings.device
        self.device_text = describe_device(self.device)
        self.build_text = torch_build()  # fixed for the life of the process
        bridge.started.connect(self._on_started)
        bridge.finished.connect(self._on_finished)
        bridge.notice.connect(self._on_notice)
        bridge.failed.connect(self._on_failed)

    def set_device(self, spec: str) -> None:
        self.settings.device = spec
        self.device = spec
        self.device_text = describe_device(spec)

    def report_error(self, message: str, detail: str = "") -> None:
        """Errors caught on the GUI thread (validation, file dialogs) go to the same banner."""
        self.error_detail = detail
        self.error_text = _sentence(message)

    def post_notice(self, message: str) -> None:
        self.notice_posted.emit(message)

    def dismiss_error(self) -> None:
        self.error_text = ""
        self.error_detail = ""

    def _on_started(self, event: JobStarted) -> None:
        if event.kind != "StylizeFrame":
            self.device_text = event.device

    def _on_finished(self, event: JobFinished) -> None:
        self.last_run_text = f"Last run: {_duration(event.elapsed_s)}"

    def _on_notice(self, event: JobNotice) -> None:
        self.post_notice(event.message)

    def _on_failed(self, event: JobFailed) -> None:
        self.report_error(event.message, event.detail)


def _sentence(message: str) -> str:
    message = message.strip()
    if not message:
        return "Something went wrong."
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(seconds), 60)
    return f"{m} min {s:02d} s"
