#!lua flags=no-writes
local v = redis.call("GET", KEYS[1])
local ok, err = pcall(redis.call, "SET", KEYS[1], "nope")
return {v, err and err.err or "wrote"}
