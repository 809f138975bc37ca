local results = {}
results[1] = pcall(function() undeclared_global = 1 end)
results[2] = pcall(function() return undeclared_read end)
results[3] = pcall(rawset, _G, "x", 1)
results[4] = pcall(setmetatable, _G, {})
results[5] = pcall(function() redis.call = nil end)
results[6] = pcall(function() string.len = nil end)
results[7] = pcall(function() cjson.encode = print end)
results[8] = type(os) .. type(io) .. type(loadfile) .. type(dofile) .. type(debug)
results[9] = pcall(loadstring, "return 1")
local f = loadstring and loadstring("return KEYS[1]")
results[10] = f and f() or "none"
for i = 1, 7 do results[i] = tostring(results[i]) end
return results
