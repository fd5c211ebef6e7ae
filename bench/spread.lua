-- wrk script: spread requests over 4,096 client addresses (X-Forwarded-For; run the server with
-- PROXY_FIX_COUNT=1) and over the users whose tokens are in BENCH_TOKENS (comma-separated).
-- BENCH_METHOD and BENCH_BODY (JSON) make it a write.
local tokens = {}
for token in string.gmatch(os.getenv("BENCH_TOKENS") or "", "[^,]+") do
  tokens[#tokens + 1] = token
end
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")

request = function()
  local headers = {
    ["X-Forwarded-For"] = string.format("10.1.%d.%d", math.random(0, 15), math.random(1, 254)),
  }
  if #tokens > 0 then
    headers["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
  end
  if body then
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(method, nil, headers, body)
end
