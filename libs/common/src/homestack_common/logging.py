"""Logging setup: one JSON object per line for machines (ECS -> CloudWatch), a short line in a terminal."""

from __future__ import annotations

import json
import logging
import queue
import re
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any, TextIO

from homestack_common.settings import LogFormat, LogLevel

ACCESS_LOGGER = "homestack.access"
_access_logger = logging.getLogger(ACCESS_LOGGER)
_escape = json.encoder.encode_basestring_ascii  # what json.dumps does to a str (C implementation)
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


_second: tuple[int, str] = (-1, "")


def iso_timestamp(epoch: float) -> str:
    """`2026-11-26T13:19:38.079+00:00` (UTC, milliseconds, as `datetime.isoformat` writes it); the
    date and time of day are formatted once a second, not once a line."""
    global _second
    whole = int(epoch)
    micros = round((epoch - whole) * 1_000_000)  # datetime rounds to microseconds, then truncates
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    cached = _second  # read once: the writer thread and the event loop both get here
    if cached[0] != whole:
        cached = _second = (whole, datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    return f"{cached[1]}.{micros // 1000:03d}+00:00"


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _RESERVED and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON line: time, level, service, logger, message and any `extra` fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        self._service_json = _escape(service)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": iso_timestamp(record.created),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_extra_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"))

    def access_line(
        self,
        request_id: str,
        method: str,
        path: str,
        status: int,
        duration_ms: float,
        size: int,
        client: str | None,
    ) -> str:
        """The access line `format` would write for the same fields, built without a LogRecord.

        The request middleware writes one per request, so this is the hot path of every service: a
        string template with C-escaped values, about a fifth of the cost of a record through `format`.
        """
        message = _escape(f"{method} {path} {status}")
        return (
            f'{{"ts":"{iso_timestamp(time.time())}","level":"info","service":{self._service_json},'
            f'"logger":"{ACCESS_LOGGER}","message":{message},"request_id":{_escape(request_id)},'
            f'"method":{_escape(method)},"path":{_escape(path)},"status":{status},'
            f'"duration_ms":{duration_ms!r},"bytes":{size},'
            f'"client":{"null" if client is None else _escape(client)}}}'
        )


# What a terminal or a line-based reader takes for the end of a line, or for a command: C0 controls
# (LF, CR, VT, FF, ESC that starts an ANSI sequence...), DEL, C1 controls (NEL, CSI...), and the Unicode
# line and paragraph separators that str.splitlines() and some viewers break lines at.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped_char(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def escape_controls(text: str) -> str:
    """`text` with every control character written as a visible escape (`\\n`, `\\x1b`, `\\u2028`), so
    a value a client chose (a path, a header) cannot end a log line, forge the next one or drive the
    terminal. Backslashes stay as they are: a literal `\\n` in a path reads like an escaped newline, but
    neither can start a line."""
    return _CONTROL.sub(_escaped_char, text) if _CONTROL.search(text) else text


class TextFormatter(logging.Formatter):
    """Render a record for a person at a terminal: time, level, message, then key=value extras.

    Every field is escaped (`escape_controls`): one record is one line. A traceback, the one part meant
    to span lines, follows with each of its lines indented, so no line of it can pass for a record.
    """

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        extras = " ".join(
            f"{escape_controls(str(k))}={escape_controls(str(v))}" for k, v in _extra_fields(record).items()
        )
        message = escape_controls(record.getMessage())
        line = f"{when} {record.levelname:<7} {message}" + (f"  {extras}" if extras else "")
        if record.exc_info:
            trace = self.formatException(record.exc_info)
            line += "".join(f"\n    {escape_controls(part)}" for part in trace.split("\n"))
        return line


class ServiceLogHandler(logging.Handler):
    """Hands records to a writer thread, so a request never waits on stdout.

    The thread formats and writes records in batches (one write and flush per batch). `flush()` waits
    until everything logged so far is written; logging's exit hook calls it, so nothing is lost on a
    normal shutdown. configure_logging replaces this handler, never stacks a second one.
    """

    _BATCH = 4096
    # The writer wakes at most this often: waking per record would hand the GIL to this thread on every
    # request (measured: a queue put cost as much as the rest of a cached request).
    _LINGER_SECONDS = 0.05

    def __init__(self, stream: TextIO, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self._stream = stream
        # Records, lines already formatted (the access log), flush markers, and None to stop.
        self._queue: queue.SimpleQueue[logging.LogRecord | str | threading.Event | None] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._write_forever, name="homestack-log-writer", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        self._queue.put(record)

    def write_line(self, line: str) -> None:
        """Queue one line this handler's formatter already produced (no newline)."""
        self._queue.put(line)

    def _write_forever(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            if not isinstance(batch[0], threading.Event | None):  # a flush or a stop is answered at once
                time.sleep(self._LINGER_SECONDS)
            while len(batch) < self._BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = any(item is None for item in batch)  # lines after the stop marker are written too
            self._handle(batch)
        self._closed = True
        while True:  # whatever arrived while stopping is still written, every flush still answered
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            self._handle([item])

    def _handle(self, batch: list[logging.LogRecord | str | threading.Event | None]) -> None:
        lines: list[str] = []
        for item in batch:
            if isinstance(item, threading.Event):
                self._write(lines)
                lines = []
                item.set()
            elif isinstance(item, str):
                lines.append(item + "\n")
            elif item is not None:
                try:
                    lines.append(self.format(item) + "\n")
                except Exception:  # a broken record must not stop the writer
                    self.handleError(item)
        self._write(lines)

    def _write(self, lines: list[str]) -> None:
        if not lines:
            return
        try:
            self._stream.write("".join(lines))
            self._stream.flush()
        except (OSError, ValueError):  # stdout closed or gone: nowhere left to write
            pass

    def flush(self, timeout: float = 5.0) -> None:
        """Wait (at most `timeout` seconds) until every record handed over so far is written."""
        if self._thread.is_alive() and not self._closed:
            written = threading.Event()
            self._queue.put(written)
            written.wait(timeout)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=5.0)
        super().close()


def _plain_path_to_root() -> bool:
    """True when a record on the access logger would reach the root's handlers and only them."""
    logger: logging.Logger | None = _access_logger
    while logger is not None and logger is not logging.root:
        if logger.handlers or not logger.propagate:
            return False
        logger = logger.parent
    return True


def log_access(
    request_id: str,
    method: str,
    path: str,
    status: int,
    duration_ms: float,
    size: int,
    client: str | None,
) -> None:
    """Log one request on the `homestack.access` logger (at info).

    When our JSON handler is the only one on the root logger (a running service), the line is built
    directly and queued; otherwise (a terminal, a test capturing logs) it goes through logging as a
    normal record with the same fields, so every handler sees it.
    """
    if not _access_logger.isEnabledFor(logging.INFO):
        return
    handlers = logging.root.handlers
    if (
        len(handlers) == 1
        and isinstance(handler := handlers[0], ServiceLogHandler)
        and isinstance(formatter := handler.formatter, JsonFormatter)
        and handler.level <= logging.INFO
        and not handler.filters
        and not _access_logger.filters
        and _plain_path_to_root()
    ):
        handler.write_line(formatter.access_line(request_id, method, path, status, duration_ms, size, client))
        return
    _access_logger.info(
        "%s %s %s",
        method,
        path,
        status,
        extra={
            "request_id": request_id,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
            "bytes": size,
            "client": client,
        },
    )


def flush_logs() -> None:
    """Write out everything logged so far (for tests and before an abrupt exit)."""
    for handler in logging.getLogger().handlers:
        handler.flush()


def configure_logging(
    service: str, level: LogLevel = "info", fmt: LogFormat = "auto", stream: TextIO | None = None
) -> None:
    """Route every logger (ours and uvicorn's) through one background-written handler on stdout.

    uvicorn's own access log is switched off: the request middleware writes one richer line per request.
    """
    stream = stream or sys.stdout
    # Per the logging HOWTO's "Optimization" section: our lines never show the caller's file and line,
    # thread or process, so don't collect them on every record (a stack walk per request otherwise).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    use_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    handler = ServiceLogHandler(stream, JsonFormatter(service) if use_json else TextFormatter())
    root = logging.getLogger()
    # Keep handlers someone else installed (a test runner's capture); replace only our own.
    for previous in [h for h in root.handlers if isinstance(h, ServiceLogHandler)]:
        root.removeHandler(previous)
        previous.close()
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "fastapi"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
