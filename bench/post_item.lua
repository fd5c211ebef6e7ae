-- wrk script: create items with a bearer token (BENCH_TOKEN in the environment).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.body = '{"name": "bench item", "description": "created by wrk"}'
