-- wrk script: one operation, many simulated clients.
-- BENCH_METHOD, BENCH_BODY (optional), BENCH_TOKEN (optional) from the environment; each
-- request names a random client address in X-Forwarded-For (the instance trusts one proxy hop),
-- so per-address limits see many clients, as behind a load balancer.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  -- wrk.format uses the given headers instead of wrk.headers, so copy them in.
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["X-Forwarded-For"] = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "."
    .. math.random(1, 254)
  return wrk.format(nil, nil, headers)
end
