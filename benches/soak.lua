-- wrk script for benches/soak.sh: a mix of valid and hostile requests to
-- the example Defender API server, and a check of every response.
--
-- Each response must be either a success (2xx) or the Defender error
-- envelope: a body `{"error":{"code":"…","message":…,"target":"…"}}` whose
-- code equals the `x-ms-error-code` header and whose target equals the
-- `x-ms-request-id` header. Anything else is counted as malformed.
--
-- wrk runs one Lua state per thread: `setup` keeps each thread, every
-- thread counts in its own globals, and `done` (run in the main state)
-- adds them up with `thread:get`. `done` prints one `soak:` line that
-- benches/soak.sh reads, and exits with status 1 if any response was
-- malformed or any socket error happened.

local WINDOWS_11 = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07"
local ISOLATED = "3f9a2c7e1b4d8f0a6c2e9b5d7f1a3c8e0b6d4f2a"
local SEEDED_FILE = "4388963aaa83afe2042a46a3c017ad50bdcdafb3"

local ADMIN = "Bearer demo-admin"
local READER = "Bearer demo-reader"
local JSON = "application/json"

-- { weight, expect, method, path, authorization, content type, body, accept }
-- `expect` is only a label for the reader: "ok" should be 2xx, anything
-- else names the error code the request is meant to produce.
local MIX = {
  -- valid requests (14 of 44)
  { 4, "ok", "GET", "/api/machines/" .. WINDOWS_11, ADMIN },
  { 2, "ok", "GET", "/api/machines?$top=3", READER },
  { 2, "ok", "GET", "/api/alerts?$filter=severity%20eq%20%27High%27&$top=5", ADMIN },
  { 2, "ok", "GET", "/api/files/" .. SEEDED_FILE, READER },
  { 1, "ok", "GET", "/api/domains/contoso.com/stats", READER },
  { 1, "ok", "GET", "/api/ips/10.0.0.4/stats", READER },
  -- the same indicator every time: an upsert, so the store does not grow
  { 1, "ok", "POST", "/api/indicators", ADMIN, JSON,
    '{"IndicatorValue":"soak.example","IndicatorType":"DomainName","Action":"Block",'
      .. '"Title":"soak","Description":"benches/soak.lua"}' },
  { 1, "ok", "GET", "/api/simulate/delay?ms=1", ADMIN },

  -- hostile requests (30 of 44)
  { 3, "InternalServerError", "GET", "/api/simulate/panic", ADMIN },
  { 2, "GatewayTimeout", "GET", "/api/simulate/slow", ADMIN },
  { 2, "InvalidRequestBody", "POST", "/api/machines/" .. WINDOWS_11 .. "/isolate", ADMIN, JSON,
    '{"Comment": "x"' },
  { 1, "InvalidRequestBody", "POST", "/api/machines/" .. WINDOWS_11 .. "/isolate", ADMIN, JSON,
    "this is not json at all" },
  { 1, "InvalidInput", "POST", "/api/machines/" .. WINDOWS_11 .. "/isolate", ADMIN, JSON,
    '{"Comment": 5}' },
  { 1, "InvalidInput", "POST", "/api/indicators", ADMIN, JSON,
    '{"IndicatorValue":"x","IndicatorType":"Registry","Action":"Block","Title":"t","Description":"d"}' },
  { 2, "InvalidHashValue", "GET", "/api/files/xyz", ADMIN },
  { 1, "InvalidHashValue", "GET", "/api/files/" .. string.rep("g", 40), ADMIN },
  { 2, "NotFound", "GET", "/api/nowhere", ADMIN },
  { 1, "NotFound", "GET", "/favicon.ico" },
  { 2, "Unauthorized", "GET", "/api/machines" },
  { 1, "Unauthorized", "GET", "/api/alerts", "Bearer not-a-token" },
  { 1, "Forbidden", "POST", "/api/machines/" .. WINDOWS_11 .. "/isolate", READER, JSON,
    '{"Comment":"c"}' },
  { 1, "DisallowedOperation", "POST", "/api/machines/" .. ISOLATED .. "/isolate", ADMIN, JSON,
    '{"Comment":"c"}' },
  { 1, "DisabledFeature", "POST", "/api/machines/" .. WINDOWS_11 .. "/runliveresponse", ADMIN, JSON,
    '{"Commands":[],"Comment":"c"}' },
  { 1, "MethodNotAllowed", "DELETE", "/api/machines", ADMIN },
  { 1, "NotAcceptable", "GET", "/api/machines", ADMIN, nil, nil, "text/html" },
  { 1, "UnsupportedMediaType", "POST", "/api/machines/" .. WINDOWS_11 .. "/isolate", ADMIN,
    "text/plain", '{"Comment":"c"}' },
  { 1, "ODataError", "GET", "/api/alerts?$filter=Severity%20eq%20%27High%27", ADMIN },
  { 1, "ResourceNotFound", "GET", "/api/machines/123", ADMIN },
  { 1, "InvalidDomainName", "GET", "/api/domains/example..com/stats", ADMIN },
  { 1, "InvalidIpAddress", "GET", "/api/ips/10.0.0.300/stats", ADMIN },
  { 1, "MissingRequiredParameter", "GET", "/api/simulate/delay", ADMIN },
}

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

-- Per thread: the requests, formatted once, in a shuffled order, and
-- the counters.
function init(args)
  local requests = {}
  for _, entry in ipairs(MIX) do
    local weight, _, method, path, authorization, content_type, body, accept =
      entry[1], entry[2], entry[3], entry[4], entry[5], entry[6], entry[7], entry[8]
    local headers = {}
    if authorization then headers["Authorization"] = authorization end
    if content_type then headers["Content-Type"] = content_type end
    if accept then headers["Accept"] = accept end
    local formatted = wrk.format(method, path, headers, body)
    for _ = 1, weight do
      table.insert(requests, formatted)
    end
  end
  -- a fixed shuffle per thread, so slow requests are spread out
  math.randomseed(thread_number or 1)
  for i = #requests, 2, -1 do
    local j = math.random(i)
    requests[i], requests[j] = requests[j], requests[i]
  end
  soak_requests = requests
  next_request = 0

  success = 0
  envelope = 0
  malformed = 0
  statuses = {}
  codes = {}
  first_malformed = ""
end

function request()
  next_request = next_request % #soak_requests + 1
  return soak_requests[next_request]
end

-- A header by name, whatever its case (hyper sends lower case).
local function header(headers, name)
  local value = headers[name]
  if value then return value end
  for key, v in pairs(headers) do
    if string.lower(key) == name then return v end
  end
  return nil
end

local PREFIX = '{"error":{"code":"'

-- Whether `body` is the envelope matching the headers; its code if so.
local function envelope_code(headers, body)
  if not body or string.sub(body, 1, #PREFIX) ~= PREFIX then
    return nil
  end
  local code = string.match(body, '^{"error":{"code":"([^"]*)"')
  local target = string.match(body, '"target":"([^"]*)"}}$')
  if not code or not target or not string.find(body, '","message":"', 1, true) then
    return nil
  end
  if header(headers, "x-ms-error-code") ~= code then return nil end
  if header(headers, "x-ms-request-id") ~= target then return nil end
  return code
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 200 and status < 300 then
    success = success + 1
    return
  end
  local code = envelope_code(headers, body)
  if code then
    envelope = envelope + 1
    codes[code] = (codes[code] or 0) + 1
  else
    malformed = malformed + 1
    if first_malformed == "" then
      first_malformed = status .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

-- Sorted "key=count" pairs of a table of counts.
local function listing(counts)
  local keys = {}
  for key in pairs(counts) do table.insert(keys, key) end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, key in ipairs(keys) do
    table.insert(parts, tostring(key) .. "=" .. string.format("%d", counts[key]))
  end
  return table.concat(parts, " ")
end

local function add_into(total, counts)
  for key, count in pairs(counts) do
    total[key] = (total[key] or 0) + count
  end
end

function done(summary, latency, requests)
  local total = { success = 0, envelope = 0, malformed = 0 }
  local all_statuses, all_codes = {}, {}
  local examples = {}
  for _, thread in ipairs(threads) do
    total.success = total.success + thread:get("success")
    total.envelope = total.envelope + thread:get("envelope")
    total.malformed = total.malformed + thread:get("malformed")
    add_into(all_statuses, thread:get("statuses"))
    add_into(all_codes, thread:get("codes"))
    local example = thread:get("first_malformed")
    if example ~= "" then table.insert(examples, example) end
  end
  local errors = summary.errors
  local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
  local classified = total.success + total.envelope + total.malformed

  io.write("\n")
  io.write(string.format("soak: statuses %s\n", listing(all_statuses)))
  io.write(string.format("soak: envelope codes %s\n", listing(all_codes)))
  io.write(string.format(
    "soak: requests=%d responses=%d success=%d envelope=%d malformed=%d "
      .. "socket_errors=%d connect=%d read=%d write=%d timeout=%d duration_s=%.1f\n",
    summary.requests, classified, total.success, total.envelope, total.malformed,
    socket_errors, errors.connect, errors.read, errors.write, errors.timeout,
    summary.duration / 1e6))
  if classified > 0 then
    io.write(string.format("soak: success %.1f %%, envelope %.1f %%\n",
      100 * total.success / classified, 100 * total.envelope / classified))
  end
  for _, example in ipairs(examples) do
    io.write("soak: first malformed response: " .. example .. "\n")
  end
  if total.malformed > 0 or socket_errors > 0 or classified == 0 then
    io.write("soak: FAIL\n")
    io.flush()
    os.exit(1)
  end
  io.write("soak: PASS\n")
end
