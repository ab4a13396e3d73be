-- wrk script: POST /v1/leads with a new person each request (so every request is a real insert).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  run = args[1] or "run"
  api_key = args[2] or "bench-key"
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"email":"bench-%s-%d-%d@analytical.example","first_name":"Ada","utm_source":"bench"}',
    run, tid, counter)
  return wrk.format("POST", "/v1/leads", {["Content-Type"] = "application/json",
                                          ["X-API-Key"] = api_key}, body)
end
