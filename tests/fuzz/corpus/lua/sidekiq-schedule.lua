local jobs = redis.call("zrangebyscore", KEYS[3], "-inf", ARGV[3], "limit", 0, 100)
for i = 1, #jobs do
    if redis.call("zrem", KEYS[3], jobs[i]) == 1 then
        redis.call("lpush", KEYS[4], jobs[i])
    end
end
return #jobs
