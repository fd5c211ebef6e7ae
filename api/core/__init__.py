"""Core pieces every layer may use: settings, extension objects, hashing and tokens, the
password policy, scopes and logs. Nothing here handles a request."""
