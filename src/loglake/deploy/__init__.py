"""Deployment to AWS: the CloudFormation template, the Lambda artifact, and the stack commands."""
