"""File names as text that can always be printed and written.

On Linux a file name is bytes; one written by an old Latin-1 system (`caf\\xe9.png`) is not valid
UTF-8, and Python hands it over with "surrogate" characters that no UTF-8 file or terminal accepts:
printing it or writing it into a report ended a batch with a raw codec error. Such bytes are shown
as `\\xe9` instead (backslashreplace); the files themselves keep their real names.
"""

from __future__ import annotations

from typing import Any


def printable(text: str) -> str:
    """`text` with undecodable bytes written as `\\xNN` (unchanged when it is valid Unicode)."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte (e.g. from a Windows name)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def printable_tree(value: Any) -> Any:
    """The same for every string inside lists and dicts (a report before it becomes JSON)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list | tuple):
        return [printable_tree(v) for v in value]
    if isinstance(value, dict):
        return {printable(str(k)): printable_tree(v) for k, v in value.items()}
    return value
