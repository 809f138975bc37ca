for i = 1, 500 do
    redis.call("SET", "fz:k:" .. i, i)
end
redis.call("MSET", "fz:a", 1, "fz:b", 2)
local n = redis.call("DBSIZE")
local keys = redis.call("KEYS", "fz:k:1*")
local cursor = redis.call("SCAN", 0, "MATCH", "fz:*", "COUNT", 50)
redis.call("FLUSHDB")
return {n, #keys, cursor[1]}
