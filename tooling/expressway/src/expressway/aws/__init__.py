"""The only package that imports boto3: small typed gateways over the AWS APIs expressway uses."""
