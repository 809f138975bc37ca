local r1 = redis.pcall("HGET", KEYS[1], "f")            -- WRONGTYPE as a table
local ok, r2 = pcall(redis.call, "INCR", KEYS[2])      -- a raised error table
local ok3, r3 = pcall(error, {err = "MYERR custom"})
local ok4, r4 = pcall(error, "plain text")
local ok5, r5 = pcall(redis.call, "NOSUCHCOMMAND")
local ok6, r6 = pcall(redis.call, "GET")
local ok7, r7 = pcall(redis.call, "SET", KEYS[1], {})
local t = {r1.err, ok, type(r2) == "table" and r2.err or r2, r3.err, r4, r5, r6, r7}
if ARGV[4] == "x" then
    return redis.error_reply("ERR from a table " .. #t)
end
return t
