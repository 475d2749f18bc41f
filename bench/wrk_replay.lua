-- Replays pre-made requests, one per line: METHOD \t PATH \t BEARER-or-- \t BODY.
-- Thread n of N takes lines n, n+N, ...; a line is sent once unless the file runs out
-- (a sign-in line sent twice is refused: its nonce is burnt, and wrk counts a non-2xx).
-- Arguments: FILE THREADS [RATE]. With a RATE (requests/s in all) every thread sends on a
-- fixed schedule, whatever the replies do (open loop), so the latency wrk reports is what a
-- user sees at that load; without one, every connection sends as fast as it is answered.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
]]
local clock = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

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
  local rate = tonumber(args[3] or "0")
  interval = rate > 0 and count * 1000 / rate or 0 -- ms between this thread's sends
  next_due = now_ms()
end

function delay()
  if interval == 0 then return 0 end
  next_due = next_due + interval
  local wait = next_due - now_ms()
  return wait > 0 and wait or 0
end

function request()
  index = index + 1
  if index > #requests then index = 1 end
  return requests[index]
end
