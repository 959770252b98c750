"""SQL, one module per aggregate. Functions take a connection from the caller; rows become models."""
