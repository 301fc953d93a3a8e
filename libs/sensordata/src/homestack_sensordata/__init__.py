"""Sensor reading models, table specs and the DynamoDB store."""

from homestack_sensordata.client import dynamodb_client
from homestack_sensordata.cursor import CursorCodec, InvalidCursorError
from homestack_sensordata.models import (
    SENSOR_ID_PATTERN,
    UNITS,
    Metric,
    Reading,
    ReadingOut,
    SensorSnapshot,
    format_ts,
    parse_ts,
    snapshot_from_reading,
)
from homestack_sensordata.store import MAX_PAGE_SIZE, Page, SensorStore
from homestack_sensordata.tables import READINGS, SENSORS, TableSpec, create_table

__all__ = [
    "MAX_PAGE_SIZE",
    "READINGS",
    "SENSORS",
    "SENSOR_ID_PATTERN",
    "UNITS",
    "CursorCodec",
    "InvalidCursorError",
    "Metric",
    "Page",
    "Reading",
    "ReadingOut",
    "SensorSnapshot",
    "SensorStore",
    "TableSpec",
    "create_table",
    "dynamodb_client",
    "format_ts",
    "parse_ts",
    "snapshot_from_reading",
]
