local r = {}
r[#r + 1] = redis.call("TYPE", KEYS[2]).ok
r[#r + 1] = redis.call("OBJECT", "ENCODING", KEYS[4])
r[#r + 1] = redis.call("RANDOMKEY")
r[#r + 1] = redis.call("TIME")[1] ~= nil
r[#r + 1] = redis.pcall("EVAL", "return 1", 0).err
r[#r + 1] = redis.pcall("MULTI").err
r[#r + 1] = redis.pcall("BLPOP", KEYS[4], 0)
r[#r + 1] = redis.pcall("SUBSCRIBE", "c")
r[#r + 1] = redis.pcall("CLIENT", "PAUSE", 100)
r[#r + 1] = redis.pcall("CONFIG", "SET", "maxmemory", "1")
r[#r + 1] = redis.pcall("DEBUG", "SLEEP", 0)
r[#r + 1] = redis.pcall("SCRIPT", "FLUSH")
r[#r + 1] = redis.call("PUBLISH", "c", "m")
r[#r + 1] = redis.call("SELECT", 1)
r[#r + 1] = redis.call("SET", "fz:db1", "v")
r[#r + 1] = redis.call("SORT", KEYS[4], "ALPHA")
return r
