-- wrk script for load.sh. SCENARIO (environment) picks the requests:
--   lookup: GET /api/machines?$filter=id eq '<a seeded id>'&$top=1
--   page:   GET /api/machines?$filter=riskScore eq 'High'&$orderby=lastSeen desc&$top=50
--   mix:    GET /api/machines/<id> (200) alternating with an unknown id (404 envelope)
local scenario = os.getenv("SCENARIO") or "lookup"
local id = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07"
local headers = { ["Authorization"] = "Bearer demo-admin" }
local n = 0
request = function()
  n = n + 1
  if scenario == "page" then
    return wrk.format("GET", "/api/machines?$filter=riskScore%20eq%20%27High%27&$orderby=lastSeen%20desc&$top=50", headers)
  elseif scenario == "mix" then
    if n % 2 == 0 then
      return wrk.format("GET", "/api/machines/0000000000000000000000000000000000000000", headers)
    end
    return wrk.format("GET", "/api/machines/" .. id, headers)
  end
  return wrk.format("GET", "/api/machines?$filter=id%20eq%20%27" .. id .. "%27&$top=1", headers)
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.0f %.0f %.0f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), errors, summary.errors.status))
end
