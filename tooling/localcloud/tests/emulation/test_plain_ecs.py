"""Plain ECS calls on Express services, and install()'s promises."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto.ecs.responses import EC2ContainerServiceResponse

from localcloud.emulation import install, installed
from localcloud.emulation.testing import EmulatedAws


def test_list_services_filters_on_resource_management_type(aws: EmulatedAws) -> None:
    express = aws.create_service("sensors")["serviceArn"]
    aws.ecs.create_service(cluster="default", serviceName="plain", desiredCount=0)
    listed = aws.ecs.list_services(cluster="default", resourceManagementType="ECS")["serviceArns"]
    customer = aws.ecs.list_services(cluster="default", resourceManagementType="CUSTOMER")["serviceArns"]
    everything = aws.ecs.list_services(cluster="default")["serviceArns"]
    assert listed == [express]
    assert [arn.rsplit("/", 1)[-1] for arn in customer] == ["plain"]
    assert sorted(everything) == sorted([*listed, *customer])


def test_plain_delete_service_refuses_an_express_service(aws: EmulatedAws) -> None:
    arn = aws.create_service("sensors")["serviceArn"]
    with pytest.raises(ClientError) as error:
        aws.ecs.delete_service(cluster="default", service=arn, force=True)
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "use DeleteExpressGatewayService" in error.value.response["Error"]["Message"]


def test_plain_update_service_cannot_change_the_load_balancers_of_an_express_service(
    aws: EmulatedAws,
) -> None:
    arn = aws.create_service("sensors")["serviceArn"]
    with pytest.raises(ClientError) as error:
        aws.ecs.update_service(cluster="default", service=arn, loadBalancers=[])
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"
    assert (
        aws.ecs.update_service(cluster="default", service=arn, desiredCount=3)["service"]["desiredCount"] == 3
    )


def test_install_is_idempotent() -> None:
    before = EC2ContainerServiceResponse.__dict__["create_express_gateway_service"]
    install()
    install()
    assert installed()
    assert EC2ContainerServiceResponse.__dict__["create_express_gateway_service"] is before


def test_install_refuses_to_shadow_an_operation_moto_implements(monkeypatch: pytest.MonkeyPatch) -> None:
    def moto_own(self: object) -> None:
        """Stands in for a future moto that implements the operation itself."""

    monkeypatch.setattr(EC2ContainerServiceResponse, "describe_service_revisions", moto_own)
    with pytest.raises(RuntimeError, match="moto already implements describe_service_revisions"):
        install()
