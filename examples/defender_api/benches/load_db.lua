-- wrk script for benches/load_db.sh.
--
-- Two optional behaviours, chosen by the environment so one script serves
-- every measurement:
--
-- LOAD_DB_MIX=OK_PATH,ERROR_PATH
--   alternates the two paths on each thread: a 50/50 success/error mix (the
--   approach of the repository's benches/mix.lua). Without it, no `request`
--   function is defined and wrk sends the URL's request as it is, without
--   calling Lua per request.
--
-- LOAD_DB_PORTS="PORT1 PORT2 ..."
--   spreads wrk's threads over servers on 127.0.0.1 at these ports, thread
--   i on port i (round robin): two replicas behind no gateway, each thread
--   keeping its own connections. Without it every thread uses the URL's
--   address.

local ports = os.getenv("LOAD_DB_PORTS")
if ports and ports ~= "" then
  local addrs = {}
  for port in string.gmatch(ports, "%d+") do
    local found = wrk.lookup("127.0.0.1", port)
    if not found or #found == 0 then
      error("load_db.lua: cannot resolve 127.0.0.1:" .. port)
    end
    table.insert(addrs, found[1])
  end
  local next_thread = 0
  function setup(thread)
    next_thread = next_thread + 1
    thread.addr = addrs[(next_thread - 1) % #addrs + 1]
  end
end

local mix = os.getenv("LOAD_DB_MIX")
if mix and mix ~= "" then
  local ok_path, error_path = string.match(mix, "^([^,]+),([^,]+)$")
  if not ok_path then
    error("load_db.lua: LOAD_DB_MIX must be OK_PATH,ERROR_PATH")
  end
  local ok_request, error_request
  local n = 0
  function init(args)
    ok_request = wrk.format("GET", ok_path)
    error_request = wrk.format("GET", error_path)
  end
  function request()
    n = n + 1
    if n % 2 == 0 then
      return error_request
    end
    return ok_request
  end
end
