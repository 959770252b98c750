"""Self-invocation of the events poller: the next link of the chain, asynchronously."""

from __future__ import annotations

import json
from typing import Any


class LambdaChainInvoker:
    """Invokes `function_name` (this function's own ARN) with InvocationType=Event."""

    def __init__(self, function_name: str, client: Any = None) -> None:
        self.function_name = function_name
        if client is None:
            import boto3

            client = boto3.client("lambda")
        self._lambda = client

    def continue_chain(self, chain_id: str) -> None:
        response = self._lambda.invoke(
            FunctionName=self.function_name,
            InvocationType="Event",
            Payload=json.dumps({"trigger": "chain", "chain_id": chain_id}).encode(),
        )
        status = response.get("StatusCode")
        if status != 202:
            raise RuntimeError(f"self-invoke was not accepted (status {status})")
