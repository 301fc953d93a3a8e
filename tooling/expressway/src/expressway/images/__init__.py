"""Container images for services: context assembly, the Dockerfile, builders, tags and push.

Import from the module that defines a name (`expressway.images.builders`, `.publish`, ...): importing
any module of this package runs this file first, and the aws layer imports `expressway.images.auth`,
so this file imports nothing (re-exports here would load every builder with the ECR gateway).
"""
