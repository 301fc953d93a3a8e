"""Names of every AWS resource the tool owns, derived from `<project>-<env>-<service>` (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from expressway.registry.models import Registry

TAG_PROJECT = "expressway:project"
TAG_ENVIRONMENT = "expressway:environment"
TAG_SERVICE = "expressway:service"
IAM_ROLE_NAME_MAX = 64  # IAM quotas: "Role name: 64 characters" (IAM and AWS STS quotas page)


@dataclass(frozen=True)
class Names:
    """Resource names for one environment of one project."""

    project: str
    env: str
    cluster: str

    @classmethod
    def of(cls, registry: Registry, env: str) -> Names:
        """Names for environment `env` of `registry`."""
        environment = registry.environment(env)
        project = registry.project.name
        return cls(project, env, environment.cluster or f"{project}-{env}")

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.env}"

    def service(self, key: str) -> str:
        """The Express service name (create-only)."""
        return f"{self.prefix}-{key}"

    def table(self, key: str) -> str:
        """The physical DynamoDB table name behind `${tables.<key>.name}`."""
        return f"{self.prefix}-{key}"

    def execution_role(self, key: str) -> str:
        """Per-service execution role: image pull, logs and only this service's secrets."""
        return f"{self.prefix}-{key}-execution"

    def task_role(self, key: str) -> str:
        """Per-service task role: only the declared DynamoDB access."""
        return f"{self.prefix}-{key}-task"

    @property
    def infrastructure_role(self) -> str:
        """One infrastructure role per environment (create-only on every service)."""
        return f"{self.prefix}-infrastructure"

    @property
    def role_path(self) -> str:
        """The IAM path of the execution and task roles. The deployer may create and change roles under
        this path only, and only with the environment's permissions boundary, so it cannot write itself
        (or any role outside the path, or another environment's) a wider policy."""
        return f"/expressway/{self.project}/{self.env}/"

    @property
    def infrastructure_path(self) -> str:
        """The IAM path of the infrastructure role: outside `role_path`, so the deployer's right to
        change bounded roles there never reaches it (the role carries an AWS managed policy only)."""
        return f"/expressway-infrastructure/{self.project}/{self.env}/"

    @property
    def boundary_policy(self) -> str:
        """The customer managed policy an administrator creates once per environment (at `role_path`):
        the permissions boundary of every execution and task role of the environment."""
        return f"{self.prefix}-boundary"

    @property
    def ledger_table(self) -> str:
        """The operations table: deploy locks and records of the environment."""
        return f"{self.prefix}-expressway"

    def repository(self, key: str) -> str:
        """The service's ECR repository, shared by every environment: `<project>/<service>`."""
        return f"{self.project}/{key}"

    def log_group(self, key: str) -> str:
        return f"/expressway/{self.project}/{self.env}/{key}"

    def tags(self, key: str) -> dict[str, str]:
        """Tags put on the service at create (Express cannot change them later)."""
        return {TAG_PROJECT: self.project, TAG_ENVIRONMENT: self.env, TAG_SERVICE: key}
