"""One route table per area of the API; `mhc.api.app` registers them all under /api."""
