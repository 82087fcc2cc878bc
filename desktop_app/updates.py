"""Update notice: read the latest release from the project's release feed, only with the user's consent.

Atelier contacts nothing on its own. The main window asks once, at the first start, whether it may
check for updates (the answer is kept in the settings and can be changed in Preferences); only then
does `UpdateChecker` read one small JSON document, GitHub's "latest release" of the project, and
report a newer version. The window shows that as a link in the status bar: non-modal, and nothing is
downloaded or installed by the app (no silent self-update; the user picks the installer).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import urllib.request
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from engine import __version__

# The project's releases (the workflow .github/workflows/release.yml publishes them): GitHub's REST API
# answers with the newest non-draft, non-prerelease release of the repository.
RELEASE_FEED = "https://api.github.com/repos/atelier-team/atelier/releases/latest"
TIMEOUT_S = 10.0
MAX_BYTES = 1 << 20  # a release document is a few KiB; never read an unbounded answer
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Release:
    version: str  # "0.2.0", without the tag's "v"
    url: str  # the release page, where the user downloads the installer


def version_key(text: str) -> tuple[int, ...]:
    """(0, 10, 1) for "v0.10.1": numeric, so 0.10 sorts after 0.9; a non-numeric tail is ignored."""
    return tuple(int(part) for part in re.findall(r"\d+", text.lstrip("vV").split("-")[0].split("+")[0]))


def is_newer(latest: str, current: str) -> bool:
    return version_key(latest) > version_key(current)


def parse_release(payload: object) -> Release:
    """A Release from the feed's JSON (GitHub's release object: tag_name, html_url)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("tag_name"), str) \
            or not isinstance(payload.get("html_url"), str) or not version_key(payload["tag_name"]):
        raise ValueError("the release feed did not name a version and a release page")
    return Release(payload["tag_name"].lstrip("vV"), payload["html_url"])


def fetch_latest(feed: str, timeout: float = TIMEOUT_S) -> Release:
    request = urllib.request.Request(feed, headers={"Accept": "application/vnd.github+json",
                                                    "User-Agent": f"Atelier/{__version__}"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return parse_release(json.loads(answer.read(MAX_BYTES)))


class UpdateChecker(QObject):
    """Reads the feed on a worker thread; `available` carries a newer Release, `checked` always ends."""

    available = Signal(object)  # Release
    checked = Signal(str)  # "" when the check worked, else why it did not (logged, never shown as an error)

    def __init__(self, feed: str = RELEASE_FEED, current: str = __version__, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.feed, self.current = feed, current

    def check(self) -> None:
        threading.Thread(target=self._run, name="atelier-update-check", daemon=True).start()

    def _run(self) -> None:
        try:
            release = fetch_latest(self.feed)
        except (OSError, ValueError) as exc:  # offline, feed down, unexpected answer: try again next start
            log.info("update check failed: %s", exc)
            self.checked.emit(str(exc) or type(exc).__name__)
            return
        if is_newer(release.version, self.current):
            self.available.emit(release)
        self.checked.emit("")
