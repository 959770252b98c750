"""One router per area of the API; `mhc.api.app` mounts them all under /api."""
