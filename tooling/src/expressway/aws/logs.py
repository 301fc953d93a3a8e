"""CloudWatch Logs: service log groups with a retention, and their last lines for failure reports."""

from __future__ import annotations

from expressway.aws.session import client, run
from expressway.errors import AwsError
from expressway.registry import Environment


class Logs:
    def __init__(self, env: Environment) -> None:
        self.api = client(env, "logs")

    def ensure_group(self, name: str, retention_days: int, tags: dict[str, str]) -> bool:
        """Create the log group if missing and set its retention; True when created."""
        found = run("describe log groups", self.api.describe_log_groups, logGroupNamePrefix=name)
        group = next((g for g in found.get("logGroups", []) if g["logGroupName"] == name), None)
        created = group is None
        if group is None:
            run(f"create log group {name}", self.api.create_log_group, logGroupName=name, tags=tags)
        if group is None or group.get("retentionInDays") != retention_days:
            run(
                f"set retention of {name}",
                self.api.put_retention_policy,
                logGroupName=name,
                retentionInDays=retention_days,
            )
        return created

    def tail(self, name: str, lines: int = 20) -> list[str]:
        """The last `lines` messages of the group; empty if it cannot be read (best effort)."""
        try:
            found = run(f"read log group {name}", self.api.filter_log_events, logGroupName=name, limit=1000)
        except AwsError:
            return []
        events = sorted(found.get("events", []), key=lambda e: e.get("timestamp", 0))
        return [str(e.get("message", "")).rstrip() for e in events[-lines:]]
