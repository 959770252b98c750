"""Clients for the external HTTP APIs MHC depends on (one module per API).

Every client takes an injected `httpx.Client`, explicit timeouts and an injected clock, sleeper
and random source; failures are typed (`mhc.clients.errors`) and redacted.
"""
