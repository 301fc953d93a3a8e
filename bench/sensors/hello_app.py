"""The ceiling: the smallest FastAPI app, to show how close a real read path gets to the framework's limit."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
