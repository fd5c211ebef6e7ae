"""What wraps a resource: authentication, operation decorators, conditional requests,
pagination headers, idempotency, rate limits, the page cache, marshalling, JSON I/O and the
HTTP error shape."""
