"""Deployments over GraphQL: the ``Deployment`` type and ``registerDeployment``."""
