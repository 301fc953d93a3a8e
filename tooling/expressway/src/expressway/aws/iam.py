"""IAM: roles with a trust policy, attached managed policies and at most one inline policy."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from expressway.aws.session import client, run
from expressway.errors import AwsError, ExpresswayError, NotFoundError
from expressway.plan.arns import SERVICE_LINKED_ROLES, parse_arn
from expressway.registry import Environment

INLINE_POLICY = "expressway"


class Iam:
    def __init__(self, env: Environment) -> None:
        self.api = client(env, "iam")

    def ensure_role(
        self,
        name: str,
        trust: dict[str, Any],
        managed: list[str],
        inline: dict[str, Any] | None,
        tags: dict[str, str],
        *,
        path: str = "/",
        boundary: str | None = None,
    ) -> list[str]:
        """Converge role `name` (at IAM path `path`, with permissions boundary `boundary`) to exactly
        this trust, these managed policies and this inline policy.

        Returns what it changed (empty when already right), so repeated runs create nothing twice. A
        role's path cannot change and its boundary is an administrator's to set: a role found with
        another path or boundary is an error that says so.
        """
        done: list[str] = []
        try:
            role = run(f"read role {name}", self.api.get_role, RoleName=name)["Role"]
        except NotFoundError:
            extra: dict[str, Any] = {"PermissionsBoundary": boundary} if boundary else {}
            run(
                f"create role {name}",
                self.api.create_role,
                RoleName=name,
                Path=path,
                AssumeRolePolicyDocument=json.dumps(trust),
                Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
                **extra,
            )
            role, done = {"AssumeRolePolicyDocument": trust, "Path": path}, ["created"]
            if boundary:
                role["PermissionsBoundary"] = {"PermissionsBoundaryArn": boundary}
        _check_placement(name, role, path, boundary)
        if _document(role["AssumeRolePolicyDocument"]) != trust:
            run(
                f"update trust of {name}",
                self.api.update_assume_role_policy,
                RoleName=name,
                PolicyDocument=json.dumps(trust),
            )
            done.append("trust")
        attached = run(f"list policies of {name}", self.api.list_attached_role_policies, RoleName=name)
        have = {p["PolicyArn"] for p in attached.get("AttachedPolicies", [])}
        for arn in sorted(set(managed) - have):
            run(f"attach {arn} to {name}", self.api.attach_role_policy, RoleName=name, PolicyArn=arn)
            done.append(f"attached {arn.rsplit('/', 1)[-1]}")
        for arn in sorted(have - set(managed)):  # e.g. AmazonECSTaskExecutionRolePolicy, now inline
            run(f"detach {arn} from {name}", self.api.detach_role_policy, RoleName=name, PolicyArn=arn)
            done.append(f"detached {arn.rsplit('/', 1)[-1]}")
        done += self._inline(name, inline)
        return done

    def _inline(self, name: str, inline: dict[str, Any] | None) -> list[str]:
        try:
            current = run(
                f"read policy of {name}", self.api.get_role_policy, RoleName=name, PolicyName=INLINE_POLICY
            )["PolicyDocument"]
        except NotFoundError:
            current = None
        if inline is None and current is not None:
            run(
                f"remove policy of {name}",
                self.api.delete_role_policy,
                RoleName=name,
                PolicyName=INLINE_POLICY,
            )
            return ["removed inline policy"]
        if inline is not None and (current is None or _document(current) != inline):
            run(
                f"write policy of {name}",
                self.api.put_role_policy,
                RoleName=name,
                PolicyName=INLINE_POLICY,
                PolicyDocument=json.dumps(inline),
            )
            return ["inline policy"]
        return []

    def ensure_service_linked_roles(self, services: list[str]) -> list[str]:
        """Make sure each of these services has its service-linked role; the ones created."""
        return [service for service in services if ensure_service_linked_role(self.api, service)]

    def service_linked_role(self, service: str) -> bool:
        """True when the service-linked role of `service` exists."""
        try:
            run(
                f"read the service-linked role of {service}",
                self.api.get_role,
                RoleName=SERVICE_LINKED_ROLES[service],
            )
        except NotFoundError:
            return False
        return True

    def denied_actions(
        self, caller_arn: str, checks: list[tuple[list[str], str, dict[str, str]]]
    ) -> list[str] | None:
        """Actions IAM's policy simulator says the caller may not perform (each with its resource and
        condition context); None when the simulator cannot be used (no permission, or no simulator)."""
        principal = _principal(caller_arn)
        denied: list[str] = []
        try:
            for actions, resource, context in checks:
                entries = [
                    {"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "string"}
                    for k, v in context.items()
                ]
                found = run(
                    "simulate the deployer's permissions",
                    self.api.simulate_principal_policy,
                    PolicySourceArn=principal,
                    ActionNames=actions,
                    ResourceArns=[resource],
                    ContextEntries=entries,
                )
                denied += [
                    r["EvalActionName"] for r in found["EvaluationResults"] if r["EvalDecision"] != "allowed"
                ]
        except AwsError:
            # AccessDenied on the simulator (the deployer policy does not grant it), or an endpoint
            # that has none: the check is skipped, never failed.
            return None
        return sorted(set(denied))

    def inline_policy(self, name: str) -> dict[str, Any] | None:
        """The role's expressway inline policy, or None."""
        try:
            found = run(
                f"read policy of {name}", self.api.get_role_policy, RoleName=name, PolicyName=INLINE_POLICY
            )
        except NotFoundError:
            return None
        return _document(found["PolicyDocument"])

    def ensure_policy(self, arn: str, document: dict[str, Any]) -> bool:
        """An administrator's step (the local cloud takes it for its session): make customer managed
        policy `arn` say `document`, as a new default version when it differs. True when it changed.
        IAM keeps at most five versions of a policy, so the oldest other one goes first."""
        if self.policy_document(arn) == document:
            return False
        path, name = arn.split(":policy", 1)[1].rsplit("/", 1)
        text = json.dumps(document)
        try:
            run(f"read policy {arn}", self.api.get_policy, PolicyArn=arn)
        except NotFoundError:
            run(
                f"create policy {arn}",
                self.api.create_policy,
                PolicyName=name,
                Path=f"{path}/",
                PolicyDocument=text,
            )
            return True
        versions = run(f"list versions of {arn}", self.api.list_policy_versions, PolicyArn=arn)["Versions"]
        old = sorted((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
        if len(versions) >= 5 and old:
            run(f"prune {arn}", self.api.delete_policy_version, PolicyArn=arn, VersionId=old[0]["VersionId"])
        run(
            f"update policy {arn}",
            self.api.create_policy_version,
            PolicyArn=arn,
            PolicyDocument=text,
            SetAsDefault=True,
        )
        return True

    def policy_document(self, arn: str) -> dict[str, Any] | None:
        """The default version of customer managed policy `arn`, or None when there is no such policy."""
        try:
            policy = run(f"read policy {arn}", self.api.get_policy, PolicyArn=arn)["Policy"]
        except NotFoundError:
            return None
        version = run(
            f"read policy {arn}",
            self.api.get_policy_version,
            PolicyArn=arn,
            VersionId=policy["DefaultVersionId"],
        )["PolicyVersion"]
        return _document(version["Document"])


def _check_placement(name: str, role: Any, path: str, boundary: str | None) -> None:
    found_path = str(role.get("Path") or "/")
    if found_path != path:
        raise ExpresswayError(
            f"role {name} exists at IAM path {found_path}: expressway keeps it at {path}, where the "
            "deployer may manage it",
            hint=f"an administrator deletes the role (aws iam delete-role --role-name {name}, after "
            "removing its policies); the next deploy makes it again at its path",
        )
    found = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if boundary and found != boundary:
        raise ExpresswayError(
            f"role {name} has permissions boundary {found or 'none'}: expressway's roles carry {boundary}",
            hint=f"an administrator sets it: aws iam put-role-permissions-boundary --role-name {name} "
            f"--permissions-boundary {boundary}",
        )


def _document(value: Any) -> dict[str, Any]:
    """Policy documents come back decoded by botocore, or as (URL-decoded) JSON text."""
    if isinstance(value, str):
        parsed: dict[str, Any] = json.loads(unquote(value))
        return parsed
    return dict(value)


def ensure_service_linked_role(api: Any, service: str) -> bool:
    """Create the service-linked role of `service` (e.g. `ecs.amazonaws.com`); True when created.

    An existing one is success: IAM answers `InvalidInput` "... has been taken in this account"
    (CreateServiceLinkedRole in the IAM API reference); moto answers `EntityAlreadyExists`.
    """
    try:
        run(
            f"create the service-linked role for {service}",
            api.create_service_linked_role,
            AWSServiceName=service,
        )
    except AwsError as exc:
        if exc.code == "EntityAlreadyExists" or "has been taken" in exc.message:
            return False
        raise
    return True


def _principal(caller_arn: str) -> str:
    """The IAM principal behind a caller ARN: an assumed role's session is its role (path `/` assumed:
    STS does not say the role's path)."""
    parsed = parse_arn(caller_arn)
    if parsed and parsed[1] == "sts" and parsed[4].startswith("assumed-role/"):
        role = parsed[4].split("/")[1]
        return f"arn:{parsed[0]}:iam::{parsed[3]}:role/{role}"
    return caller_arn
