"""The update notice against a local release feed: asked once, no request without consent, non-modal notice."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PySide6.QtWidgets import QApplication

from desktop_app.updates import UpdateChecker, is_newer, parse_release, version_key

pytestmark = pytest.mark.gui


class Feed:
    """A release feed on 127.0.0.1 that counts the requests it gets."""

    def __init__(self) -> None:
        self.release = {"tag_name": "v99.0.0", "html_url": "http://127.0.0.1/releases/v99.0.0"}
        self.requests: list[str] = []
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                feed.requests.append(self.headers.get("User-Agent", ""))
                body = json.dumps(feed.release).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/repos/atelier/releases/latest"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feed():
    f = Feed()
    yield f
    f.close()


def test_versions_compare_numerically():
    assert version_key("v0.10.1") == (0, 10, 1)
    assert is_newer("v0.10.0", "0.9.3") and is_newer("1.0.0", "0.99")
    assert not is_newer("v0.1.0", "0.1.0") and not is_newer("0.0.9", "0.1.0")


def test_a_feed_without_a_version_is_refused():
    assert parse_release({"tag_name": "v1.2.0", "html_url": "https://x/r"}).version == "1.2.0"
    for bad in ({}, {"tag_name": "latest", "html_url": "https://x"}, ["v1.0"], {"tag_name": "v1.0"}):
        with pytest.raises(ValueError):
            parse_release(bad)


def test_declined_consent_contacts_nothing_and_is_asked_once(make_window, settings, feed, monkeypatch):
    window = make_window(update_feed=feed.url)
    asked, checks = [], []
    monkeypatch.setattr(window.update_checker, "check", lambda: checks.append(1))
    window.offer_update_check(ask=lambda: asked.append(1) or False)
    window.offer_update_check(ask=lambda: asked.append(1) or True)  # the next start: not asked again
    assert asked == [1] and settings.update_consent is False
    assert checks == [] and feed.requests == [] and not window.update_label.isVisible()


def test_allowed_check_shows_a_non_modal_notice_with_the_release_page(make_window, settings, feed, qtbot):
    window = make_window(update_feed=feed.url)
    window.offer_update_check(ask=lambda: True)
    qtbot.waitUntil(window.update_label.isVisible, timeout=5000)
    assert "Atelier 99.0.0 is available" in window.update_label.text()
    assert feed.release["html_url"] in window.update_label.text()
    assert settings.update_consent is True and len(feed.requests) == 1
    assert feed.requests[0].startswith("Atelier/")
    assert QApplication.activeModalWidget() is None  # a notice, not a dialog in the user's way


def test_no_notice_when_this_is_the_latest_version(make_window, settings, feed, qtbot):
    from engine import __version__

    feed.release["tag_name"] = f"v{__version__}"
    settings.update_consent = True
    window = make_window(update_feed=feed.url)
    with qtbot.waitSignal(window.update_checker.checked, timeout=5000) as checked:
        window.offer_update_check(ask=lambda: pytest.fail("consent was given before: must not ask"))
    assert checked.args == [""] and len(feed.requests) == 1
    assert not window.update_label.isVisible()


def test_an_unreachable_feed_is_quiet(qtbot, feed):
    url = feed.url
    feed.close()  # nothing listens there any more
    checker = UpdateChecker(url, current="0.1.0")
    with qtbot.assertNotEmitted(checker.available), qtbot.waitSignal(checker.checked, timeout=15000) as checked:
        checker.check()
    assert checked.args[0]  # the reason, for the log
