"""Core pieces every layer may use: settings, extensions, hashing and tokens, scopes,
logging and metrics. Nothing here handles a request."""
