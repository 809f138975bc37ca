local bucket = KEYS[2]
local rate = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local state = redis.call('HMGET', bucket, 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now_ms
local delta = math.max(0, now_ms - ts)
tokens = math.min(capacity, tokens + delta * rate / 1000)
local allowed = 0
if tokens >= 1 then
    tokens = tokens - 1
    allowed = 1
end
redis.call('HSET', bucket, 'tokens', tokens, 'ts', now_ms)
redis.call('PEXPIRE', bucket, math.ceil(capacity / rate * 1000))
return {allowed, tostring(tokens)}
