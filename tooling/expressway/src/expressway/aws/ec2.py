"""EC2: the VPC and the ONE subnet list every service of an environment shares (one shared ALB)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from expressway.aws.session import client, run
from expressway.errors import ExpresswayError
from expressway.registry import Environment


@dataclass(frozen=True)
class Network:
    vpc: str
    subnets: tuple[str, ...]
    zones: tuple[str, ...] = ()


def _public(subnet_id: str, tables: list[dict[str, Any]]) -> bool:
    """A subnet is public when its route table (or the VPC's main one) routes to an internet gateway."""
    own = [t for t in tables if any(a.get("SubnetId") == subnet_id for a in t.get("Associations", []))]
    main = [t for t in tables if any(a.get("Main") for a in t.get("Associations", []))]
    for table in own or main:
        if any(str(r.get("GatewayId", "")).startswith("igw-") for r in table.get("Routes", [])):
            return True
    return False


def _zones(subnets: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(sorted({s["AvailabilityZone"] for s in subnets}))


def network(env: Environment) -> Network:
    """The environment's VPC and its subnet list: explicit, or every subnet of the right access. Either
    way the list must be of the environment's access type and span at least two zones."""
    api = client(env, "ec2")
    if env.subnets:
        return _explicit(env, env.subnets, api)
    if env.vpc == "default":
        vpcs = run(
            "find the default VPC", api.describe_vpcs, Filters=[{"Name": "isDefault", "Values": ["true"]}]
        )["Vpcs"]
        if not vpcs:
            raise ExpresswayError(
                f"find the default VPC: there is none in {env.region}",
                hint='set `vpc = "vpc-..."` or `subnets = [...]` in the environment',
            )
        vpc = vpcs[0]["VpcId"]
        filters = [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default-for-az", "Values": ["true"]}]
        subnets = run("describe subnets", api.describe_subnets, Filters=filters)["Subnets"]
        chosen = list(subnets) if env.access == "public" else []
    else:
        vpc = env.vpc
        vpc_filter = [{"Name": "vpc-id", "Values": [vpc]}]
        subnets = run("describe subnets", api.describe_subnets, Filters=vpc_filter)["Subnets"]
        tables = run("describe route tables", api.describe_route_tables, Filters=vpc_filter)["RouteTables"]
        want_public = env.access == "public"
        chosen = [s for s in subnets if _public(s["SubnetId"], tables) == want_public]
    zones = _zones(chosen)
    if len(zones) < 2:
        raise ExpresswayError(
            f"choose subnets in {vpc}: found {len(chosen)} {env.access} subnets in {len(zones)} zones",
            hint="Express Mode needs subnets in at least 2 zones; list them with `subnets = [...]`",
        )
    return Network(vpc, tuple(sorted(s["SubnetId"] for s in chosen)), zones)


def _explicit(env: Environment, listed: tuple[str, ...], api: Any) -> Network:
    """The subnets the environment lists, checked as the chosen ones are: one VPC, the access type
    asked for (an internet-facing ALB needs public subnets, an internal one private), two zones."""
    found = run("describe subnets", api.describe_subnets, SubnetIds=list(listed))["Subnets"]
    vpcs = {s["VpcId"] for s in found}
    if len(vpcs) != 1:
        raise ExpresswayError(
            f"environment subnets: they span {len(vpcs)} VPCs; Express needs one VPC",
            hint="list subnets of a single VPC in services.toml",
        )
    vpc = vpcs.pop()
    vpc_filter = [{"Name": "vpc-id", "Values": [vpc]}]
    tables = run("describe route tables", api.describe_route_tables, Filters=vpc_filter)["RouteTables"]
    want_public = env.access == "public"
    wrong = sorted(s["SubnetId"] for s in found if _public(s["SubnetId"], tables) != want_public)
    if wrong:
        other = "private" if want_public else "public"
        why = "no route to an internet gateway" if want_public else "a route to an internet gateway"
        alb = "an internal" if want_public else "an internet-facing"
        raise ExpresswayError(
            f"environment subnets: {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} {other} ({why}) "
            f'but access is "{env.access}": Express would give them {alb} ALB',
            hint=f'list {env.access} subnets in `subnets = [...]`, or set `access = "{other}"`',
        )
    zones = _zones(found)
    if len(zones) < 2:
        raise ExpresswayError(
            f"environment subnets: all {len(found)} are in {', '.join(zones)}; Express Mode needs subnets in "
            "at least 2 zones",
            hint="add a subnet of another zone of the same VPC to `subnets = [...]`",
        )
    return Network(vpc, tuple(sorted(listed)), zones)


def vpcs_of(env: Environment, subnets: list[str]) -> dict[str, str]:
    """The VPC of each subnet id (subnets that no longer exist are left out)."""
    api = client(env, "ec2")
    found: dict[str, str] = {}
    for start in range(0, len(subnets), 200):
        page = run(
            "describe subnets",
            api.describe_subnets,
            Filters=[{"Name": "subnet-id", "Values": subnets[start : start + 200]}],
        )
        found.update({s["SubnetId"]: s["VpcId"] for s in page["Subnets"]})
    return found
