redis.register_function("f", function(keys, args)
    redis.setresp(3)
    return {keys[1], args[2], redis.call("ZRANGE", keys[3], 0, -1, "WITHSCORES")}
end)
