redis.setresp(3)
local n = redis.call("GET", "fz:missing")
local b = redis.call("EXISTS", KEYS[1])
redis.setresp(2)
local n2 = redis.call("GET", "fz:missing")
return {n == nil, n2 == false, b, {double = 0/0}, {double = 1/0}, 3.99, -2.5}
