-- POST prebuilt multipart bodies listed in BENCH_MANIFEST (lines: path<TAB>bearer token<TAB>offset of the JPEG),
-- rotated. With BENCH_UNIQUE=1 each request's JPEG gets a COM segment (run salt + counter) right after its
-- SOI marker, so every upload has different bytes (no exact-duplicate shortcut) but the same picture.
local bodies, auths, offsets = {}, {}, {}
local counter = 0
local boundary = os.getenv("BENCH_BOUNDARY") or "benchboundary"
local unique = os.getenv("BENCH_UNIQUE") == "1"
local salt = os.getenv("BENCH_SALT") or "00000000"

function init(args)
  for line in io.lines(os.getenv("BENCH_MANIFEST")) do
    local file, auth, off = line:match("^([^\t]+)\t([^\t]*)\t(%d+)$")
    local f = assert(io.open(file, "rb"))
    table.insert(bodies, f:read("*a"))
    f:close()
    table.insert(auths, auth)
    table.insert(offsets, tonumber(off))
  end
end

function request()
  counter = counter + 1
  local i = (counter % #bodies) + 1
  local body = bodies[i]
  if unique then
    local cut = offsets[i] + 2 -- after FF D8
    local com = "\255\254\0\18" .. salt .. string.format("%08x", counter)
    body = body:sub(1, cut) .. com .. body:sub(cut + 1)
  end
  local headers = {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}
  if auths[i] ~= "" then headers["Authorization"] = "Bearer " .. auths[i] end
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"errors_status":%d,"errors_connect":%d,"errors_timeout":%d,"errors_read":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.status, summary.errors.connect, summary.errors.timeout, summary.errors.read))
end
