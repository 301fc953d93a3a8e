"""Sensor reading models, table specs and the DynamoDB store."""

from homestack_sensordata.client import RegionNotSetError, dynamodb_client
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
    unit_problem,
    value_problem,
)
from homestack_sensordata.retry import RetryPolicy
from homestack_sensordata.store import MAX_PAGE_SIZE, MAX_READ_CALLS, Page, SensorStore, UnreadablePageError
from homestack_sensordata.tables import READINGS, SENSORS, TableSpec, create_table
from homestack_sensordata.writer import Failure, ReadingWriter, WriteResult

__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_READ_CALLS",
    "READINGS",
    "SENSORS",
    "SENSOR_ID_PATTERN",
    "UNITS",
    "CursorCodec",
    "Failure",
    "InvalidCursorError",
    "Metric",
    "Page",
    "Reading",
    "ReadingOut",
    "ReadingWriter",
    "RegionNotSetError",
    "RetryPolicy",
    "SensorSnapshot",
    "SensorStore",
    "TableSpec",
    "UnreadablePageError",
    "WriteResult",
    "create_table",
    "dynamodb_client",
    "format_ts",
    "parse_ts",
    "snapshot_from_reading",
    "unit_problem",
    "value_problem",
]
