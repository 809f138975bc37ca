-- a queue's "take the next job" in the manner of BullMQ: wait list -> active list,
-- the job hash stamped, a lock taken, and delayed jobs promoted by score
local wait, active = KEYS[4], KEYS[4] .. ":active"
local delayed = KEYS[3]
local ts = tonumber(ARGV[3])
local due = redis.call("ZRANGEBYSCORE", delayed, 0, ts, "LIMIT", 0, 10)
for _, id in ipairs(due) do
    redis.call("ZREM", delayed, id)
    redis.call("LPUSH", wait, id)
end
local jobId = redis.call("RPOPLPUSH", wait, active)
if jobId then
    local jobKey = "fz:job:" .. jobId
    redis.call("SET", jobKey .. ":lock", ARGV[1], "PX", ARGV[3])
    redis.call("HSET", jobKey, "processedOn", ts, "attemptsMade", 1)
    redis.call("HINCRBY", jobKey, "attemptsMade", 1)
    redis.call("XADD", KEYS[1] .. ":events", "MAXLEN", "~", 100, "*", "event", "active",
        "jobId", jobId)
    return {jobId, redis.call("HGETALL", jobKey)}
end
return {false, #due}
