-- wrk script: alternates GET /ok and GET /error, a 50/50 success/error mix.
local n = 0
request = function()
  n = n + 1
  if n % 2 == 0 then
    return wrk.format("GET", "/error")
  end
  return wrk.format("GET", "/ok")
end
