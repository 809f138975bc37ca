redis.setresp(3)
local h = redis.call("HGETALL", KEYS[2])
local z = redis.call("ZRANGE", KEYS[3], 0, -1, "WITHSCORES")
local s = redis.call("SMEMBERS", "fz:none")
local d = redis.call("ZSCORE", KEYS[3], "b")
return {h, z, s, d, {double = 3.25}, {map = {a = 1, b = {1, 2}}}, {set = {x = true}},
    {big_number = "123456789012345678901234567890"}, {verbatim_string = {format = "txt", string = "hi"}},
    redis.call("HELLO", "3") and 1}
