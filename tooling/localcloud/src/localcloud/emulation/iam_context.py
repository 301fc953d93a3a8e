"""What one API call asks IAM: its actions, the resources they act on and their condition keys.

The resource ARN of each action follows the Service Authorization Reference (the "Resource types"
column, https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html);
an action listed with no resource type is evaluated against "*", so a policy that scopes it to an
ARN does not allow it, as on AWS. Calls that authorize more than one action say so here: a create
with tags also needs ecs:TagResource (with ecs:CreateAction), and passing a role needs iam:PassRole
(with iam:PassedToService) ("Grant permission to tag resources on creation", Amazon ECS Developer
Guide; "Granting a user permissions to pass a role to an AWS service", IAM User Guide). Actions
this module does not know are evaluated against "*" (docs/emulation.md lists the known ones).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .iam_policy import Request

# IAM prefixes whose signing name differs (the credential scope names the signing name).
PREFIXES = {"monitoring": "cloudwatch", "elasticloadbalancingv2": "elasticloadbalancing"}
# ECS actions with no resource-level permissions, and ones that act on a service by its ARN.
_ECS_STAR = {"CreateCluster", "ListClusters", "ListServices", "ListTasks", "ListTaskDefinitions",
             "RegisterTaskDefinition", "DescribeTaskDefinition"}  # fmt: skip
_ECS_BY_SERVICE_ARN = {
    "DescribeExpressGatewayService",
    "UpdateExpressGatewayService",
    "DeleteExpressGatewayService",
}
_PASSED_TO = {
    "infrastructureRoleArn": "ecs.amazonaws.com",
    "executionRoleArn": "ecs-tasks.amazonaws.com",
    "taskRoleArn": "ecs-tasks.amazonaws.com",
}
_ROLE_ACTIONS = {"CreateRole", "GetRole", "DeleteRole", "TagRole", "UntagRole", "PutRolePolicy",
                 "GetRolePolicy", "DeleteRolePolicy", "ListRolePolicies", "ListAttachedRolePolicies",
                 "AttachRolePolicy", "DetachRolePolicy", "UpdateAssumeRolePolicy", "UpdateRole"}  # fmt: skip
_TABLE_ACTIONS = {"CreateTable", "DeleteTable", "DescribeTable", "UpdateTable", "DescribeTimeToLive",
                  "UpdateTimeToLive", "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
                  "DescribeContinuousBackups"}  # fmt: skip
_BATCH_ACTIONS = {"BatchGetItem", "BatchWriteItem"}
_LOG_GROUP_ACTIONS = {"CreateLogGroup", "DeleteLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy",
                      "FilterLogEvents", "DescribeLogStreams", "TagLogGroup", "ListTagsLogGroup"}  # fmt: skip
_LOG_STREAM_ACTIONS = {"CreateLogStream", "PutLogEvents", "GetLogEvents", "DeleteLogStream"}
_PARAMETER_ACTIONS = {"GetParameter", "PutParameter", "DeleteParameter", "GetParameterHistory",
                      "AddTagsToResource", "LabelParameterVersion"}  # fmt: skip
_REPOSITORY_ACTIONS = {"CreateRepository", "DeleteRepository", "DescribeImages", "BatchGetImage",
                       "BatchCheckLayerAvailability", "GetDownloadUrlForLayer", "InitiateLayerUpload",
                       "UploadLayerPart", "CompleteLayerUpload", "PutImage", "PutLifecyclePolicy",
                       "GetLifecyclePolicy", "PutImageScanningConfiguration", "SetRepositoryPolicy",
                       "ListImages", "BatchDeleteImage", "PutImageTagMutability"}  # fmt: skip


@dataclass(frozen=True)
class Call:
    """One API call as the authorizer sees it."""

    prefix: str  # the IAM prefix: "ecs", "dynamodb", "elasticloadbalancing", ...
    operation: str  # "CreateExpressGatewayService"
    params: Mapping[str, Any]  # the JSON body, or the query string (first values) for query protocols
    partition: str
    region: str
    account: str
    role_arn: Callable[[str], str]  # role name -> its ARN (with its path when the role exists)


def requests(call: Call) -> list[Request]:
    """Every authorization the call needs, the main action first."""
    build = _BUILDERS.get(call.prefix)
    found = build(call) if build is not None else None
    return found if found else [Request(f"{call.prefix}:{call.operation}", "*")]


def _regional(call: Call, service: str, resource: str) -> str:
    return f"arn:{call.partition}:{service}:{call.region}:{call.account}:{resource}"


def _tags(raw: Any, key: str = "key", value: str = "value") -> dict[str, list[str]]:
    """aws:RequestTag/<k> and aws:TagKeys for the tags a create sets."""
    tags = {str(t.get(key)): str(t.get(value, "")) for t in raw or () if isinstance(t, Mapping)}
    context: dict[str, list[str]] = {f"aws:RequestTag/{k}": [v] for k, v in tags.items()}
    if tags:
        context["aws:TagKeys"] = list(tags)
    return context


def _ecs(call: Call) -> list[Request]:
    op, p = call.operation, call.params
    action = f"ecs:{op}"
    cluster = str(p.get("cluster") or "default").split("/")[-1]

    def service(name_or_arn: str) -> str:
        if name_or_arn.startswith("arn:"):
            return name_or_arn
        return _regional(call, "ecs", f"service/{cluster}/{name_or_arn}")

    if op in _ECS_STAR:
        made = [Request(action, "*", _tags(p.get("tags")))]
        if op == "CreateCluster" and p.get("tags"):
            made.append(Request("ecs:TagResource", "*", {"ecs:CreateAction": [op], **_tags(p["tags"])}))
        return made
    if op == "CreateExpressGatewayService":
        arn = service(str(p.get("serviceName") or "*"))
        made = [Request(action, arn, _tags(p.get("tags")))]
        if p.get("tags"):
            made.append(Request("ecs:TagResource", arn, {"ecs:CreateAction": [op], **_tags(p["tags"])}))
        return made + _pass_roles(call)
    if op in _ECS_BY_SERVICE_ARN:
        return [Request(action, str(p.get("serviceArn") or "*"))] + (
            _pass_roles(call) if op == "UpdateExpressGatewayService" else []
        )
    if op == "ListServiceDeployments":
        return [Request(action, service(str(p.get("service") or "*")))]
    if op == "DescribeServiceDeployments":
        return [Request(action, str(arn)) for arn in p.get("serviceDeploymentArns") or ["*"]]
    if op == "DescribeServiceRevisions":
        return [Request(action, str(arn)) for arn in p.get("serviceRevisionArns") or ["*"]]
    if op in ("DescribeServices", "UpdateService", "DeleteService", "CreateService"):
        names = p.get("services") or [p.get("service") or p.get("serviceName") or "*"]
        return [Request(action, service(str(name))) for name in names]
    if op == "DescribeClusters":
        names = p.get("clusters") or ["default"]
        return [Request(action, _cluster(call, str(name))) for name in names]
    if op in ("DescribeTasks", "StopTask"):
        ids = p.get("tasks") or [p.get("task") or "*"]
        return [Request(action, _task(call, cluster, str(task))) for task in ids]
    if op in ("TagResource", "UntagResource", "ListTagsForResource"):
        return [Request(action, str(p.get("resourceArn") or "*"), _tags(p.get("tags")))]
    return []


def _cluster(call: Call, name: str) -> str:
    return name if name.startswith("arn:") else _regional(call, "ecs", f"cluster/{name}")


def _task(call: Call, cluster: str, task: str) -> str:
    return task if task.startswith("arn:") else _regional(call, "ecs", f"task/{cluster}/{task}")


def _pass_roles(call: Call) -> list[Request]:
    """iam:PassRole for each role the request hands to ECS (infrastructure, execution, task)."""
    return [
        Request("iam:PassRole", str(call.params[key]), {"iam:PassedToService": [service]})
        for key, service in _PASSED_TO.items()
        if call.params.get(key)
    ]


def _iam(call: Call) -> list[Request]:
    op, p = call.operation, call.params
    action = f"iam:{op}"
    if op in _ROLE_ACTIONS and p.get("RoleName"):
        context: dict[str, list[str]] = {}
        if p.get("PolicyArn"):
            context["iam:PolicyARN"] = [str(p["PolicyArn"])]
        arn = call.role_arn(str(p["RoleName"]))
        if op == "CreateRole" and p.get("Path"):
            arn = f"arn:{call.partition}:iam::{call.account}:role{p['Path']}{p['RoleName']}"
        return [Request(action, arn, context)]
    if op == "CreateServiceLinkedRole":
        service = str(p.get("AWSServiceName") or "")
        arn = f"arn:{call.partition}:iam::{call.account}:role/aws-service-role/{service}/*"
        return [Request(action, arn, {"iam:AWSServiceName": [service]})]
    if op in ("GetPolicy", "GetPolicyVersion", "CreatePolicyVersion", "DeletePolicy"):
        return [Request(action, str(p.get("PolicyArn") or "*"))]
    if op in ("GetUser", "ListAccessKeys", "CreateAccessKey", "PutUserPolicy", "GetUserPolicy"):
        name = p.get("UserName")
        return [Request(action, f"arn:{call.partition}:iam::{call.account}:user/{name}" if name else "*")]
    return []


def _dynamodb(call: Call) -> list[Request]:
    op, p = call.operation, call.params

    def table(name: str) -> str:
        return name if name.startswith("arn:") else _regional(call, "dynamodb", f"table/{name}")

    if op in _TABLE_ACTIONS and p.get("TableName"):
        arn = table(str(p["TableName"]))
        if op in ("Query", "Scan") and p.get("IndexName"):
            arn = f"{arn}/index/{p['IndexName']}"
        return [Request(f"dynamodb:{op}", arn)]
    if op in _BATCH_ACTIONS:
        return [Request(f"dynamodb:{op}", table(str(name))) for name in p.get("RequestItems") or {}]
    if op == "TransactWriteItems":
        found = []
        for item in p.get("TransactItems") or []:
            for kind, body in item.items():
                verb = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                        "ConditionCheck": "ConditionCheckItem"}.get(kind, kind)  # fmt: skip
                found.append(Request(f"dynamodb:{verb}", table(str(body.get("TableName", "*")))))
        return found
    if op in ("TagResource", "UntagResource", "ListTagsOfResource"):
        return [Request(f"dynamodb:{op}", str(p.get("ResourceArn") or "*"))]
    return []


def _logs(call: Call) -> list[Request]:
    op, p = call.operation, call.params
    group = str(p.get("logGroupName") or "")
    if op == "DescribeLogGroups":
        return [Request(f"logs:{op}", _regional(call, "logs", "log-group:*"))]
    if op in _LOG_STREAM_ACTIONS and group:
        stream = str(p.get("logStreamName") or "*")
        return [Request(f"logs:{op}", _regional(call, "logs", f"log-group:{group}:log-stream:{stream}"))]
    if op in _LOG_GROUP_ACTIONS and group:
        return [
            Request(f"logs:{op}", _regional(call, "logs", f"log-group:{group}"), _tags_map(p.get("tags")))
        ]
    if op in ("TagResource", "UntagResource", "ListTagsForResource"):
        return [Request(f"logs:{op}", str(p.get("resourceArn") or "*").removesuffix(":*"))]
    return []


def _tags_map(raw: Any) -> dict[str, list[str]]:
    tags = {str(k): str(v) for k, v in (raw or {}).items()} if isinstance(raw, Mapping) else {}
    context: dict[str, list[str]] = {f"aws:RequestTag/{k}": [v] for k, v in tags.items()}
    if tags:
        context["aws:TagKeys"] = list(tags)
    return context


def _ssm(call: Call) -> list[Request]:
    op, p = call.operation, call.params

    def parameter(name: str) -> str:
        return name if name.startswith("arn:") else _regional(call, "ssm", f"parameter/{name.lstrip('/')}")

    if op in _PARAMETER_ACTIONS and p.get("Name"):
        return [Request(f"ssm:{op}", parameter(str(p["Name"])))]
    if op == "GetParameters":
        return [Request(f"ssm:{op}", parameter(str(name))) for name in p.get("Names") or []]
    if op == "GetParametersByPath":
        return [Request(f"ssm:{op}", parameter(str(p.get("Path") or "/")))]
    return []


def _ecr(call: Call) -> list[Request]:
    op, p = call.operation, call.params
    if op in _REPOSITORY_ACTIONS and p.get("repositoryName"):
        account = str(p.get("registryId") or call.account)
        arn = f"arn:{call.partition}:ecr:{call.region}:{account}:repository/{p['repositoryName']}"
        return [Request(f"ecr:{op}", arn, _tags(p.get("tags"), "Key", "Value"))]
    if op == "DescribeRepositories" and p.get("repositoryNames"):
        return [Request(f"ecr:{op}", _regional(call, "ecr", f"repository/{n}")) for n in p["repositoryNames"]]
    if op == "TagResource":
        return [Request(f"ecr:{op}", str(p.get("resourceArn") or "*"))]
    return []


def _sts(call: Call) -> list[Request]:
    if call.operation == "AssumeRole":
        return [Request("sts:AssumeRole", str(call.params.get("RoleArn") or "*"))]
    return []


def _elbv2(call: Call) -> list[Request]:
    op, p = call.operation, call.params
    if op in ("RegisterTargets", "DeregisterTargets", "ModifyTargetGroup", "DeleteTargetGroup"):
        return [Request(f"elasticloadbalancing:{op}", str(p.get("TargetGroupArn") or "*"))]
    return []


def _servicequotas(call: Call) -> list[Request]:
    p = call.params
    if call.operation == "GetServiceQuota":
        arn = _regional(call, "servicequotas", f"{p.get('ServiceCode')}/{p.get('QuotaCode')}")
        return [Request("servicequotas:GetServiceQuota", arn)]
    return []


_BUILDERS: dict[str, Callable[[Call], list[Request]]] = {
    "ecs": _ecs,
    "iam": _iam,
    "dynamodb": _dynamodb,
    "logs": _logs,
    "ssm": _ssm,
    "ecr": _ecr,
    "sts": _sts,
    "elasticloadbalancing": _elbv2,
    "servicequotas": _servicequotas,
}
