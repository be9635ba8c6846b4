"""Helper processes die with the run that started them.

``casenotes score`` scores in a process pool started through a fork server. If the run is
killed (SIGKILL, out of memory), nothing tells those processes to stop: they would go on
holding hundreds of megabytes each. On Linux the kernel can send a signal to a process when
its parent dies (``PR_SET_PDEATHSIG``); the fork server asks for it when it starts
(it preloads :mod:`casenotes._forkserver`), and each worker asks for it too, so killing
the run ends them all.
Elsewhere this module does nothing.

The fork server also loads what every scoring process needs (about a third of a second of
imports and building), once; :func:`start_fork_server` lets a run start it before it starts
up itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from typing import Final

_PR_SET_PDEATHSIG: Final = 1
#: What the scoring pool's fork server loads before it forks any process.
FORK_SERVER_PRELOAD: Final = ("casenotes._forkserver",)


def pool_context() -> BaseContext:
    """How the scoring pool starts its processes: through a fork server that preloads the
    scorer where there is one (POSIX), else by spawning."""
    if os.name != "posix":
        return get_context("spawn")
    context = get_context("forkserver")
    context.set_forkserver_preload(list(FORK_SERVER_PRELOAD))
    return context


def start_fork_server() -> None:
    """Start the scoring pool's fork server now, so its loading runs while the caller starts
    up; nothing where there is none or it runs already."""
    if os.name != "posix":
        return
    pool_context()
    from multiprocessing import forkserver

    forkserver.ensure_running()


def die_with_parent() -> bool:
    """Ask the kernel to kill this process when its parent dies; True if it could."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    # The parent may have died before the request was made.
    if os.getppid() == 1:
        os._exit(1)
    return True


def stale_partials(target_name: str, folder: str | os.PathLike[str]) -> list[str]:
    """Hidden ``.NAME.partial-PID`` files in ``folder`` left by runs that are no longer alive."""
    prefix = f".{target_name}.partial-"
    stale = []
    for name in os.listdir(folder):
        if not name.startswith(prefix):
            continue
        pid = name[len(prefix):]
        if pid.isdigit() and not _alive(int(pid)):
            stale.append(name)
    return stale


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

