-- Replays pre-made requests, one per line: METHOD \t PATH \t BEARER-or-- \t BODY.
-- Thread n of N takes lines n, n+N, ...; a line is never sent twice (a nonce works once).
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  requests = {}
  local count = tonumber(args[2])
  local n = 0
  for line in io.lines(args[1]) do
    if n % count == id then
      local method, path, token, body = line:match("^(%u+)\t([^\t]+)\t([^\t]+)\t(.*)$")
      local headers = { ["Content-Type"] = "application/json" }
      if token ~= "-" then headers["Authorization"] = "Bearer " .. token end
      table.insert(requests, wrk.format(method, path, headers, body))
    end
    n = n + 1
  end
  index = 0
end
function request()
  index = index + 1
  if index > #requests then index = 1 end
  return requests[index]
end
