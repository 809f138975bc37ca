local current = redis.call("INCR", KEYS[1] .. ":count")
if current == 1 then
    redis.call("EXPIRE", KEYS[1] .. ":count", ARGV[2])
end
if current > tonumber(ARGV[2]) then
    return redis.error_reply("rate limited")
end
return current
