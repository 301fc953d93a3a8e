"""Logging setup: one JSON object per line for machines (ECS -> CloudWatch), a short line in a terminal."""

from __future__ import annotations

import json
import logging
import queue
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any, TextIO

from homestack_common.settings import LogFormat, LogLevel

ACCESS_LOGGER = "homestack.access"
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _RESERVED and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON line: time, level, service, logger, message and any `extra` fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_extra_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """Render a record for a person at a terminal: time, level, message, then key=value extras."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        extras = " ".join(f"{k}={v}" for k, v in _extra_fields(record).items())
        line = f"{when} {record.levelname:<7} {record.getMessage()}" + (f"  {extras}" if extras else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
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
        self._queue: queue.SimpleQueue[logging.LogRecord | None] = queue.SimpleQueue()
        self._pending = 0
        self._drained = threading.Condition()
        self._thread = threading.Thread(target=self._write_forever, name="homestack-log-writer", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        with self._drained:
            self._pending += 1
        self._queue.put(record)

    def _write_forever(self) -> None:
        while True:
            batch = [self._queue.get()]
            time.sleep(self._LINGER_SECONDS)
            while len(batch) < self._BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            records = [r for r in batch if r is not None]
            lines = []
            for record in records:
                try:
                    lines.append(self.format(record) + "\n")
                except Exception:  # a broken record must not stop the writer
                    self.handleError(record)
            try:
                self._stream.write("".join(lines))
                self._stream.flush()
            except (OSError, ValueError):  # stdout closed or gone: nowhere left to write
                pass
            with self._drained:
                self._pending -= len(records)
                self._drained.notify_all()
            if len(records) < len(batch):
                return

    def flush(self, timeout: float = 5.0) -> None:
        """Wait (at most `timeout` seconds) until every record handed over so far is written."""
        with self._drained:
            self._drained.wait_for(lambda: self._pending <= 0, timeout=timeout)

    def close(self) -> None:
        if self._thread.is_alive():
            self.flush()
            self._queue.put(None)
            self._thread.join(timeout=5.0)
        super().close()


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
