/**
 * @internal The aggregator's commit, run atomically inside Redis (EVALSHA). Arguments, in order:
 *
 *   stream, group, seenTtlSeconds,
 *   nIds, then nIds pairs (seen-set key, event id),
 *   nRollups, then per rollup: hash key, index key, member, expireAt (s), count, sum, min, max,
 *                              nBins, then nBins pairs (field, count),
 *   nTraces, traceTtlSeconds, traceMaxEvents, then nTraces pairs (list key, event json),
 *   nAcks, then nAcks stream entry ids.
 *
 * First every event id is looked up in its seen set. If any was already counted (a redelivery
 * after a crash, a resend after a lost reply), nothing is written and those ids are returned, so
 * the aggregator rebuilds the batch without them and tries again. Then every sum is checked (a
 * Redis script is not rolled back on error, so anything that could fail must fail before the
 * first write): when a stored sum plus the batch's would overflow a double, nothing is written and
 * `{'SI_OVERFLOW', key, storedSum, ...}` is returned, so the aggregator can leave out just the
 * entries that would overflow and try again. Otherwise the ids are marked
 * seen, the pre-aggregated rollups are merged in with HINCRBY (sketch bins add up), the trace
 * lists are appended, and the stream entries are acknowledged, all in one step: a crash before it
 * leaves the entries pending for another consumer, a crash after it has nothing left to redo.
 * Keys are passed as arguments, so this targets a single Redis (not Redis Cluster).
 */
export const COMMIT_SCRIPT = `
local n = 1
local function nxt() local v = ARGV[n]; n = n + 1; return v end
local stream = nxt(); local group = nxt(); local seenTtl = tonumber(nxt())
local nIds = tonumber(nxt())
local idAt = n
n = n + 2 * nIds
local dups = {}
for j = 0, nIds - 1 do
  if redis.call('SISMEMBER', ARGV[idAt + 2 * j], ARGV[idAt + 2 * j + 1]) == 1 then
    dups[#dups + 1] = ARGV[idAt + 2 * j + 1]
  end
end
if #dups > 0 then return dups end
local nRollups = tonumber(nxt())
local rollupsAt = n
-- Validation pass before any write: Redis does not roll a script back, so a sum that would
-- overflow must be refused while nothing has been written yet.
local overflow = {}
for j = 1, nRollups do
  local key = ARGV[n]
  local s = tonumber(ARGV[n + 5])
  local cur = tonumber(redis.call('HGET', key, 's') or '0')
  if (not s) or (not cur) then return redis.error_reply('SI_INVALID_SUM ' .. key) end
  local total = cur + s
  if total ~= total or total == math.huge or total == -math.huge then
    overflow[#overflow + 1] = key
    overflow[#overflow + 1] = string.format('%.17g', cur)
  end
  n = n + 9 + 2 * tonumber(ARGV[n + 8])
end
if #overflow > 0 then
  table.insert(overflow, 1, 'SI_OVERFLOW')
  return overflow
end
n = rollupsAt
local touched = {}
for j = 0, nIds - 1 do
  local k = ARGV[idAt + 2 * j]
  redis.call('SADD', k, ARGV[idAt + 2 * j + 1])
  if not touched[k] then
    touched[k] = true
    redis.call('EXPIRE', k, seenTtl)
  end
end
for j = 1, nRollups do
  local key = nxt(); local index = nxt(); local member = nxt(); local expireAt = nxt()
  local c = nxt(); local s = nxt(); local lo = nxt(); local hi = nxt()
  redis.call('HINCRBY', key, 'c', c)
  redis.call('HINCRBYFLOAT', key, 's', s)
  local cur = redis.call('HGET', key, 'lo')
  if (not cur) or tonumber(lo) < tonumber(cur) then redis.call('HSET', key, 'lo', lo) end
  cur = redis.call('HGET', key, 'hi')
  if (not cur) or tonumber(hi) > tonumber(cur) then redis.call('HSET', key, 'hi', hi) end
  local nBins = tonumber(nxt())
  for b = 1, nBins do
    local f = nxt(); local bc = nxt()
    redis.call('HINCRBY', key, f, bc)
  end
  redis.call('EXPIREAT', key, expireAt)
  redis.call('SADD', index, member)
  redis.call('EXPIREAT', index, expireAt)
end
local nTraces = tonumber(nxt()); local traceTtl = tonumber(nxt()); local traceMax = tonumber(nxt())
local traced = {}
for j = 1, nTraces do
  local key = nxt(); local payload = nxt()
  redis.call('RPUSH', key, payload)
  traced[key] = true
end
for key in pairs(traced) do
  redis.call('LTRIM', key, -traceMax, -1)
  redis.call('EXPIRE', key, traceTtl)
end
local nAcks = tonumber(nxt())
if nAcks > 0 then
  local ids = {}
  for j = 1, nAcks do ids[j] = nxt() end
  redis.call('XACK', stream, group, unpack(ids))
end
return 0
`;
