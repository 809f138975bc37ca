-- Lua 5.1's matcher recursed once per quantified item with no limit: this pattern
-- overflowed the stack and killed the process (Redis 7.0 dies of it too)
local s = string.rep('a', 300000)
local ok, err = pcall(string.find, s, string.rep('a?', 300000))
local ok2 = pcall(string.gsub, s, string.rep('(a)?', 100000), 'x')
return {tostring(ok), tostring(err), tostring(ok2), s:find(string.rep('a?', 500))}
