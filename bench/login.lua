-- wrk script: log in continuously (a bcrypt check per request).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username": "bench", "password": "bench-password-1"}'
