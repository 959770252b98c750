"""MHC Control Panel: the shared package behind every Lambda function and the local runtime."""

__version__ = "0.1.0"
