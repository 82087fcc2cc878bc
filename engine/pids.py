"""Is a process still running? Asked about the owners of batch locks and of temporary files, so that
a batch never deletes what a live batch is writing and never waits on one that was killed."""

from __future__ import annotations

import os
import sys


def pid_alive(pid: int) -> bool:
    """True if a process with this id exists on this machine (ours included)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only existence and permission are checked
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    except OSError:
        return False
    return True


def _windows_pid_alive(pid: int) -> bool:
    """os.kill(pid, 0) would send CTRL_C_EVENT on Windows; ask the process table instead."""
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    query_limited_information, still_active, access_denied = 0x1000, 259, 5
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return kernel32.GetLastError() == access_denied
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)
