"""The dashboard's pages and the live fragments the browser polls for updates."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from homestack_dashboard.models import Reading, Snapshot, with_latest
from homestack_dashboard.overview import build_overview
from homestack_dashboard.present import format_utc, iso
from homestack_dashboard.rendering import Renderer
from homestack_dashboard.sensor_page import RANGES, build_sensor_view, pick_range
from homestack_dashboard.sensors_api import SensorNotFound, SensorsApi, SensorsUnavailable
from homestack_dashboard.settings import DashboardSettings

router = APIRouter(include_in_schema=False)
# Sparkline histories fetched at once for the overview: enough to be quick, few enough to be polite.
_HISTORY_CONCURRENCY = 8


def _api(request: Request) -> SensorsApi:
    api: SensorsApi = request.app.state.sensors_api
    return api


def _renderer(request: Request) -> Renderer:
    renderer: Renderer = request.app.state.renderer
    return renderer


def _sentence(reason: str) -> str:
    return reason[:1].upper() + reason[1:]


def _stale_text(seconds: float) -> str:
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds / 60:g} min"


async def _histories(
    api: SensorsApi, snapshots: Sequence[Snapshot], hours: int, deadline: float
) -> dict[str, list[Reading] | None]:
    """Each sensor's recent history; None for one that failed or was not read within `deadline` seconds
    (each read has that deadline too, but queued behind others they could add up)."""
    gate = asyncio.Semaphore(_HISTORY_CONCURRENCY)

    async def one(sensor_id: str) -> list[Reading] | None:
        async with gate:
            try:
                return await api.readings(sensor_id, timedelta(hours=hours))
            except (SensorsUnavailable, SensorNotFound):
                return None  # the row still shows its latest values, just without a sparkline

    tasks = {s.sensor_id: asyncio.ensure_future(one(s.sensor_id)) for s in snapshots}
    if not tasks:
        return {}
    _, late = await asyncio.wait(tasks.values(), timeout=deadline)
    for task in late:
        task.cancel()  # the shared read goes on in the cache (bounded by its own deadline)
    await asyncio.gather(*late, return_exceptions=True)
    return {sensor_id: None if task.cancelled() else task.result() for sensor_id, task in tasks.items()}


async def _overview_context(request: Request, sort: str, order: str, q: str) -> dict[str, Any]:
    api, settings = _api(request), request.app.state.settings
    assert isinstance(settings, DashboardSettings)
    now = datetime.now(UTC)
    context: dict[str, Any] = {
        "error": None,
        "overview": None,
        "updated_iso": iso(now),
        "updated_text": format_utc(now, with_date=False),
        "stale_text": _stale_text(settings.stale_after_seconds),
    }
    try:
        snapshots = await api.sensors()
        histories = await _histories(api, snapshots, settings.sparkline_hours, settings.load_deadline_seconds)
    except SensorsUnavailable as exc:
        context["error"] = _sentence(str(exc))
        return context
    overview = build_overview(
        snapshots,
        histories,
        now=now,
        stale_after=timedelta(seconds=settings.stale_after_seconds),
        spark_hours=settings.sparkline_hours,
        sort=sort,
        order=order,
        query=q,
    )
    headers = [("name", "Sensor", False), ("status", "Status", False), ("age", "Reported", True)]
    headers += [(c.key, c.label, True) for c in overview.columns]
    links = {}
    for key, _, _ in headers:
        flip = "desc" if overview.sort == key and overview.order == "asc" else "asc"
        links[key] = "/?" + urlencode(
            {"sort": key, "order": flip} | ({"q": overview.query} if overview.query else {})
        )
    context.update(overview=overview, headers=headers, sort_links=links)
    return context


def _overview_query(sort: str, order: str, q: str) -> str:
    return urlencode({"sort": sort, "order": order} | ({"q": q} if q else {}))


@router.get("/", response_class=HTMLResponse)
async def overview_page(
    request: Request, sort: str = "name", order: str = "asc", q: str = ""
) -> HTMLResponse:
    """Every sensor with its latest values, age, stale state and a sparkline."""
    context = await _overview_context(request, sort, order, q)
    return _renderer(request).page(
        "overview.html",
        sort=sort,
        order=order,
        query=q,
        live_url="/partials/overview?" + _overview_query(sort, order, q),
        **context,
    )


@router.get("/partials/overview", response_class=HTMLResponse)
async def overview_fragment(
    request: Request, sort: str = "name", order: str = "asc", q: str = ""
) -> HTMLResponse:
    """The live part of the overview, polled by the browser every few seconds."""
    context = await _overview_context(request, sort, order, q)
    return _renderer(request).page("overview_live.html", **context)


async def _sensor_context(request: Request, sensor_id: str, range_key: str | None) -> dict[str, Any]:
    """The sensor page's content; raises SensorNotFound for an unknown sensor."""
    api, settings = _api(request), request.app.state.settings
    assert isinstance(settings, DashboardSettings)
    chosen = pick_range(range_key)
    now = datetime.now(UTC)
    context: dict[str, Any] = {
        "error": None,
        "gone": False,
        "view": None,
        "chosen": chosen,
        "title": sensor_id,
        "updated_iso": iso(now),
    }
    try:
        snapshot = await api.sensor(sensor_id)
    except SensorsUnavailable as exc:
        context["error"] = _sentence(str(exc))
        return context
    history_error = None
    readings: list[Reading] | None = None
    try:
        readings = with_latest(await api.readings(sensor_id, chosen.window), snapshot, now - chosen.window)
    except SensorsUnavailable as exc:
        history_error = _sentence(str(exc))
    except SensorNotFound:
        readings = []
    context["view"] = build_sensor_view(
        snapshot,
        readings,
        chosen=chosen,
        now=now,
        stale_after=timedelta(seconds=settings.stale_after_seconds),
        history_error=history_error,
    )
    context["title"] = snapshot.label
    return context


@router.get("/sensors/{sensor_id:path}", response_class=HTMLResponse)
async def sensor_page(
    request: Request, sensor_id: str, range_key: str | None = Query(None, alias="range")
) -> HTMLResponse:
    """One sensor: latest reading, a chart per metric over the chosen range, min/max/average."""
    renderer = _renderer(request)
    try:
        context = await _sensor_context(request, sensor_id, range_key)
    except SensorNotFound:
        return renderer.page("not_found.html", status=404, sensor_id=sensor_id, path=request.url.path)
    base = "/sensors/" + quote(sensor_id, safe="")
    return renderer.page(
        "sensor.html",
        ranges=RANGES,
        range_links={r.key: f"{base}?range={r.key}" for r in RANGES},
        live_url="/partials/sensor?" + urlencode({"id": sensor_id, "range": context["chosen"].key}),
        **context,
    )


@router.get("/partials/sensor", response_class=HTMLResponse)
async def sensor_fragment(
    request: Request,
    sensor_id: str = Query(alias="id"),
    range_key: str | None = Query(None, alias="range"),
) -> HTMLResponse:
    """The live part of a sensor page, polled by the browser every few seconds."""
    try:
        context = await _sensor_context(request, sensor_id, range_key)
    except SensorNotFound:
        context = {"error": None, "gone": True, "view": None, "updated_iso": iso(datetime.now(UTC))}
    return _renderer(request).page("sensor_live.html", **context)
