local t = {}
t[1] = "a"; t[2] = "b"; t[4] = "d"
local u = setmetatable({}, {__index = function() return "meta" end})
return {t, #t, u[1], {[1] = 1, x = 2}, {n = 1}, string.format("%5.2f|%q", 3.14159, "a\0b")}
