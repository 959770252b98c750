"""Lambda plumbing: the events cursor store (SSM or a local file), self-invoke, time budget."""
