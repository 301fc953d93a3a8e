"""homestack_ingest with a share of its DynamoDB calls failing: `uvicorn reliability.faulty_ingest:app`.

The real app, unchanged, except that once it has started, its DynamoDB client gets
homestack_sensordata's fault injection: each write is throttled with probability FAULT_SHARE, and each
TransactWriteItems that gets through is cancelled (half its items in a TransactionConflict) with the
same probability.
Every injected fault is appended to FAULT_LOG as one line as it happens (a killed process loses none).
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

import anyio
from fastapi import FastAPI

from homestack_ingest.app import app
from homestack_sensordata.faults import Faults

FAULTED = ("TransactWriteItems", "PutItem", "UpdateItem")


class ShareOfCalls:
    """Decides, call by call, which faults to arm in `Faults` (whose own budget is counted in calls)."""

    def __init__(self, faults: Faults, share: float, log: IO[str], seed: int) -> None:
        self.faults = faults
        self.share = share
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.log = log

    def before_build(self, model: Any, **_: Any) -> None:
        operation = model.name
        if operation not in FAULTED:
            return
        with self.lock:
            if self.rng.random() < self.share:
                self.faults.throttle(operation, 1)
                self.log.write(f"throttled {operation}\n")
            elif operation == "TransactWriteItems" and self.rng.random() < self.share:
                self.faults.cancel_transactions(1)
                self.log.write("cancelled TransactWriteItems\n")


_serve = app.router.lifespan_context


@asynccontextmanager
async def _lifespan_with_faults(application: FastAPI) -> AsyncIterator[Any]:
    log_path = Path(os.environ["FAULT_LOG"])
    async with _serve(application) as state, await anyio.open_file(log_path, "a", buffering=1) as log:
        client = application.state.ingest.client
        faults = Faults(client)
        share = ShareOfCalls(faults, float(os.environ["FAULT_SHARE"]), log.wrapped, seed=os.getpid())
        # First, so the fault is armed before Faults' own hook looks at the same call.
        client.meta.events.register_first("before-parameter-build.dynamodb.*", share.before_build)
        yield state


app.router.lifespan_context = _lifespan_with_faults
