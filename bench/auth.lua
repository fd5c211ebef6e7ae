-- wrk script: GET with a bearer token (BENCH_TOKEN in the environment).
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
