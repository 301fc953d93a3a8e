"""A default VPC as AWS makes it: moto 5.2.5's has no internet gateway, so its subnets would not be
public by their routes. AWS's "has an internet gateway" and a main route table that sends
0.0.0.0/0 to it ("Default VPCs", Amazon VPC user guide,
https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html)."""

from __future__ import annotations

from typing import Any


def create_default_vpc(original: Any) -> Any:
    """Wrap EC2Backend.create_default_vpc: the default VPC also gets its internet gateway and route."""

    def method(self: Any) -> Any:
        vpc = original(self)
        gateway = self.create_internet_gateway()
        self.attach_internet_gateway(gateway.id, vpc.id)
        for table in self.describe_route_tables(filters={"association.main": ["true"], "vpc-id": [vpc.id]}):
            self.create_route(table.id, "0.0.0.0/0", gateway_id=gateway.id)
        return vpc

    return method
