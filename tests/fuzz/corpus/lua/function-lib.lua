#!lua name=fzlib
local function take(keys, args)
    local v = redis.call("GET", keys[1])
    if v == args[1] then
        return redis.call("DEL", keys[1])
    end
    return 0
end
redis.register_function("f", take)
redis.register_function{function_name = "g", callback = function(keys, args)
    return redis.call("HGETALL", keys[2])
end, flags = {"no-writes"}}
