local doc = cjson.decode('{"a":[1,2,{"b":null}],"c":"d","e":1.5e300,"f":true}')
doc.g = redis.call("HGETALL", KEYS[2])
local s = cjson.encode(doc)
redis.call("SET", KEYS[1] .. ":json", s)
local back = cjson.decode(redis.call("GET", KEYS[1] .. ":json"))
return {s, back.c, tostring(back.e), cjson.encode(cjson.decode("[[[[[]]]]]")),
    cjson.encode({1, 2, 3, nil, 5}), pcall(cjson.decode, "{bad")}
