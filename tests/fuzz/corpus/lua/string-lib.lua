local s = redis.call("GET", KEYS[1])
return {s:upper(), s:rep(3, ","), s:byte(1, -1), s:sub(2, 3), s:find("ok"),
    string.gsub("hello world", "(%w+)", "<%1>"), string.match("key:42", "(%a+):(%d+)"),
    table.concat({1, 2, 3}, "-"), tostring(math.huge), math.floor(-3.5), #string.char(0, 255)}
