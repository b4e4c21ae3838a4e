-- GET the path(s) listed in BENCH_PATHS (comma-separated), with optional auth and one extra header.
local paths = {}
local counter = 0

function init(args)
  for p in string.gmatch(os.getenv("BENCH_PATHS") or "/", "([^,]+)") do table.insert(paths, p) end
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
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function done(summary, latency, requests)
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"errors_status":%d,"errors_connect":%d,"errors_timeout":%d,"errors_read":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.status, summary.errors.connect, summary.errors.timeout, summary.errors.read))
end
