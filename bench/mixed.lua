-- wrk script: a mixed read/write load as many clients would send it.
--   70% GET /api/items (anonymous)   15% GET /api/items/<id> (anonymous)
--    5% GET /api/auth/me (token)     10% POST /api/items (token)
-- BENCH_TOKENS: a file with one bearer token per line (one user each).
-- BENCH_ITEM_IDS: a file with one item id per line.
-- Each request carries X-Simulated-Client, a random address the benchmark's load balancer
-- turns into X-Forwarded-For, so per-address limits see many clients (a benchmark rig only).

local function lines(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

local tokens = lines(os.getenv("BENCH_TOKENS"))
local ids = lines(os.getenv("BENCH_ITEM_IDS"))
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + seed * 7919)
  statuses = {}
end

local function client()
  return "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
end

function request()
  local roll = math.random(100)
  local headers = {["X-Simulated-Client"] = client()}
  if roll <= 70 then
    return wrk.format("GET", "/api/items?per_page=20", headers)
  elseif roll <= 85 then
    return wrk.format("GET", "/api/items/" .. ids[math.random(#ids)], headers)
  end
  headers["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
  if roll <= 90 then
    return wrk.format("GET", "/api/auth/me", headers)
  end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/items", headers, '{"name": "cluster item"}')
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  for status, count in pairs(totals) do
    io.write(string.format("STATUS %d %d\n", status, count))
  end
end
