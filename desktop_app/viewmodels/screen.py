"""What the Photo, Batch and Live view-models share: they paint the shared look, and run jobs.

`LookScreen` holds the four things each of them is built from (the app, the look, the gallery, the
engine services). `pause_or_resume` is the one pause button: a running job is paused, a paused one
resumed, and the view-model's `state` follows.
"""

from __future__ import annotations

from typing import Protocol

from desktop_app.bridge import JobHandle
from desktop_app.viewmodels.app import AppViewModel
from desktop_app.viewmodels.gallery import GalleryViewModel
from desktop_app.viewmodels.look import LookViewModel
from desktop_app.viewmodels.properties import ObservableObject
from desktop_app.viewmodels.services import EngineServices


class LookScreen(ObservableObject):
    def __init__(self, app: AppViewModel, look: LookViewModel, gallery: GalleryViewModel,
                 services: EngineServices) -> None:
        super().__init__()
        self.app = app
        self.look = look
        self.gallery = gallery
        self.services = services


class RunsAJob(Protocol):
    job: JobHandle | None
    state: str


def pause_or_resume(vm: RunsAJob) -> bool | None:
    """Pause `vm`'s running job or resume its paused one: True if now paused, False if running again,
    None when there was nothing to pause."""
    if vm.job is None or vm.state not in ("running", "paused"):
        return None
    if vm.state == "running":
        vm.job.pause()
        vm.state = "paused"
        return True
    vm.job.resume()
    vm.state = "running"
    return False
