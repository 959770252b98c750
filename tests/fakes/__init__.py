"""Reusable fakes for tests: a real loopback HTTP server and a clock that sleeps instantly."""
