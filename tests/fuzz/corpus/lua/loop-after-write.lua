redis.call("SET", KEYS[1], "written")
while true do
    pcall(function() while true do end end)
end
