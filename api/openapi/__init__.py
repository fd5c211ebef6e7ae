"""The OpenAPI document: the Swagger 2.0 to OpenAPI 3 converter, the SDK-grade finishing pass
and the documentation UIs (Swagger UI, ReDoc)."""
