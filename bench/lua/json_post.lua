-- POST a JSON body from the BENCH_BODY_FILE (one JSON body per line, rotated), print a JSON summary.
local bodies = {}
local counter = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("BENCH_BODY_FILE")
  for line in io.lines(path) do
    table.insert(bodies, line)
  end
  wrk.method = os.getenv("BENCH_METHOD") or "POST"
  wrk.headers["Content-Type"] = "application/json"
  local auth = os.getenv("BENCH_AUTH")
  if auth and auth ~= "" then wrk.headers["Authorization"] = "Bearer " .. auth end
  local extra = os.getenv("BENCH_HEADER")
  if extra and extra ~= "" then
    local k, v = extra:match("^([^:]+):%s*(.*)$")
    wrk.headers[k] = v
  end
end

function request()
  counter = counter + 1
  if #bodies == 0 then return wrk.format() end
  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"errors_status":%d,"errors_connect":%d,"errors_timeout":%d,"errors_read":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, non2xx, summary.errors.connect, summary.errors.timeout, summary.errors.read))
end
