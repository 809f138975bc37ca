redis.call("SET", KEYS[1], "changed")
return redis.call("LPUSH", KEYS[1], "not a list")
