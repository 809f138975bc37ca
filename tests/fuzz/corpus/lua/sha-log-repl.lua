redis.log(redis.LOG_DEBUG, "fuzz")
redis.set_repl(redis.REPL_ALL or 3)
redis.replicate_commands()
local a = redis.sha1hex("")
local b = redis.sha1hex(ARGV[1])
local ok, e = pcall(redis.sha1hex)
local st = redis.status_reply("FINE")
return {a, b, tostring(ok), st.ok, redis.REDIS_VERSION or "", redis.REDIS_VERSION_NUM or 0,
    pcall(redis.breakpoint), pcall(redis.debug, "x")}
