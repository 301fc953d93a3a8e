"""expressway: deploy a monorepo of services to ECS Express Mode on one shared load balancer."""
