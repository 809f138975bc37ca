local function f(n) return f(n + 1) + 1 end
local ok, err = pcall(f, 1)
local t = {}
local cur = t
for i = 1, 2000 do cur[1] = {}; cur = cur[1] end
return {tostring(ok), t}
