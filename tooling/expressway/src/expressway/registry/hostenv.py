"""Environment variable names that change the host process rather than the app (pure).

On AWS a task's environment reaches only its container. The local cloud runs each task as a process
of the developer's own machine, where some names steer the interpreter, the dynamic loader, shells
or tools before the app's first line runs (PYTHONSTARTUP and PYTHONWARNINGS import code, LD_PRELOAD
loads a library, BROWSER names a command the webbrowser module runs). A service environment that
sets one of them is refused by the local runner, and `validate` refuses it in services.toml.
Sources: "Command line and environment" (Python documentation), ld.so(8), bash(1).
"""

from __future__ import annotations

from collections.abc import Iterable

# Exact names and what they change; prefixes below.
_NAMES = {
    "BROWSER": "names a command Python's webbrowser module runs",
    "PATH": "decides which programs the host runs",
    "HOME": "points the process at another home folder (and its ~/.aws credentials)",
    "BASH_ENV": "names a file every non-interactive bash runs first",
    "ENV": "names a file every POSIX shell runs first",
    "SHELLOPTS": "changes how every bash the process starts behaves",
    "PS4": "is expanded (and so run) by bash when tracing",
    "IFS": "changes how every shell splits words",
    "PERL5OPT": "injects options into every perl the process starts",
    "RUBYOPT": "injects options into every ruby the process starts",
    "NODE_OPTIONS": "injects options into every node the process starts",
    "GCONV_PATH": "makes glibc load code from another folder",
    "VIRTUAL_ENV": "points tools at another Python environment",
    "SSLKEYLOGFILE": "writes the TLS session keys of the process to a file",
}
_PREFIXES = {
    "PYTHON": "configures the host's Python interpreter (PYTHONSTARTUP, PYTHONWARNINGS, PYTHONPATH run code)",
    "LD_": "configures the dynamic loader (LD_PRELOAD loads a library into the process)",
    "DYLD_": "configures the macOS dynamic loader",
    "UV_": "configures uv, which installs packages into the host's environment",
    "PIP_": "configures pip, which installs packages into the host's environment",
    "MALLOC_": "configures glibc's allocator",
    "BASH_FUNC_": "defines a bash function every bash the process starts imports",
}


def why_refused(name: str) -> str | None:
    """Why `name` may not be set in a service's environment locally, or None when it may."""
    if name in _NAMES:
        return _NAMES[name]
    for prefix, why in _PREFIXES.items():
        if name.startswith(prefix):
            return why
    return None


def refused(names: Iterable[str]) -> dict[str, str]:
    """Each name of `names` the local runner refuses, with why (empty when all may be set)."""
    found: dict[str, str] = {}
    for name in names:
        why = why_refused(name)
        if why is not None:
            found[name] = why
    return found


def explain(service: str, found: dict[str, str]) -> str:
    """One message for a refused environment: `{what}: {why}` naming every variable."""
    listed = "; ".join(f"{name} {why}" for name, why in sorted(found.items()))
    return f"{service}: the local cloud refuses environment variables that change the host process: {listed}"
