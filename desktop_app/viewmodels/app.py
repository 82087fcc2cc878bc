"""Application-wide state: chosen device, what the status bar shows, errors for the banner.

It follows every job the bridge hands out (`job_submitted`), so a failure anywhere reaches one
visible place and the status bar always tells which device ran the last job and how long it took.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal

from desktop_app.bridge import EngineBridge, JobHandle
from desktop_app.settings import AppSettings
from desktop_app.viewmodels.properties import ObservableObject, Property
from engine.errors import AtelierError
from engine.messages import JobFailed, JobFinished, JobNotice, JobStarted

OUTPUT_FORMATS = ("same", "jpg", "png", "webp")


@dataclass(frozen=True)
class OutputPrefs:
    """How paintings are written (Preferences): used by Save and Batch alike."""

    folder: str = ""              # "" = Save: beside the photo; Batch: a "stylized" folder in the input folder
    format: str = "same"          # same (as the photo) | jpg | png | webp
    jpeg_quality: int = 95
    max_size: int | None = None   # long side in pixels; None = the photo's full resolution

    @staticmethod
    def load(settings: AppSettings) -> OutputPrefs:
        fmt = settings.text("output/format", "same")
        quality = int(settings.number("output/jpeg_quality", 95))
        size = int(settings.number("output/max_size", 0))
        return OutputPrefs(settings.text("output/folder"), fmt if fmt in OUTPUT_FORMATS else "same",
                           min(100, max(1, quality)), size if size >= 16 else None)

    def store(self, settings: AppSettings) -> None:
        settings.set_text("output/folder", self.folder)
        settings.set_text("output/format", self.format)
        settings.set_value("output/jpeg_quality", self.jpeg_quality)
        settings.set_value("output/max_size", self.max_size or 0)


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
    output = Property(OutputPrefs())   # how paintings are written (Preferences)
    notice_posted = Signal(str)        # transient status-bar message

    def __init__(self, bridge: EngineBridge, settings: AppSettings) -> None:
        super().__init__()
        self.bridge = bridge
        self.settings = settings
        self.device = settings.device
        self.device_text = describe_device(self.device)
        self.output = OutputPrefs.load(settings)
        self.build_text = torch_build()  # fixed for the life of the process
        bridge.job_submitted.connect(self._follow)

    def _follow(self, job: JobHandle) -> None:
        if job.background:
            return  # e.g. gallery cards: the status bar and the banner are about what the user asked for
        job.started.connect(self._on_started)
        job.finished.connect(self._on_finished)
        job.notice.connect(self._on_notice)
        job.failed.connect(self._on_failed)

    @staticmethod
    def device_choices() -> list[tuple[str, str]]:
        """(spec, label) for Automatic, the CPU and each usable GPU, from the engine's probe."""
        from engine.devices import available_devices

        choices = [("auto", "Automatic (best available)")]
        try:
            found = available_devices()
        except Exception:  # a broken driver must not hide the choice; the engine reports it on use
            found = []
        for d in found:
            choices.append((d.spec, "CPU" if d.spec == "cpu" else d.describe()))
        if all(spec != "cpu" for spec, _ in choices):
            choices.append(("cpu", "CPU"))
        return choices

    def hint_seen(self, key: str) -> bool:
        """First-run hints (Batch, Live, training) show until the user says "Got it"."""
        return self.settings.flag(f"hints/{key}")

    def dismiss_hint(self, key: str) -> None:
        self.settings.set_value(f"hints/{key}", True)

    def set_output(self, prefs: OutputPrefs) -> None:
        prefs.store(self.settings)
        self.output = prefs

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
        if getattr(event.result, "question", None) is not None:
            return  # a batch that stopped to ask before painting anything is not a run to report
        self.last_run_text = f"Last run: {_duration(event.elapsed_s)}"

    def _on_notice(self, event: JobNotice) -> None:
        self.post_notice(event.message)

    def _on_failed(self, event: JobFailed) -> None:
        self.report_error(event.message, event.detail)


FALLBACK_CREDITS = (
    "## Credits\n\n"
    "Sample photo: astronaut Eileen Collins, NASA (public domain), as shipped with scikit-image.\n\n"
    "Built-in styles are trained on public-domain artworks; their full list of sources is in "
    "`resources/ATTRIBUTION.md` when the styles are installed.\n\n"
    "Made with PySide6 (Qt for Python, LGPL), PyTorch, Pillow, NumPy and safetensors."
)


def about_markdown() -> str:
    """About Atelier: version and the credits shipped in resources/ATTRIBUTION.md."""
    from engine import __version__
    from engine.paths import resources_dir

    credits = resources_dir() / "ATTRIBUTION.md"
    text = credits.read_text(encoding="utf-8") if credits.is_file() else FALLBACK_CREDITS
    return (f"# Atelier {__version__}\n\nTurns photos into paintings with content-preserving GAN style "
            "transfer, entirely on your own computer.\n\n---\n\n" + text)


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
