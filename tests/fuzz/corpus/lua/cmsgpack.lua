local packed = cmsgpack.pack({1, "two", {three = 3}, 4.5, true, false}, -1, 2^40, "x")
local a, b, c, d = cmsgpack.unpack(packed)
redis.call("SET", KEYS[1] .. ":mp", packed)
local again = cmsgpack.unpack(redis.call("GET", KEYS[1] .. ":mp"))
return {#packed, a[2], a[3].three, b, tostring(c), d, again[1],
    cmsgpack.unpack_one(packed), cmsgpack.unpack_limit(packed, 2)}
