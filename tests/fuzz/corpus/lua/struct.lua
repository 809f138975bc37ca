local s = struct.pack(">I2i4c3dB", 513, -7, "abc", 2.5, 255)
local a, b, c, d, e, nexti = struct.unpack(">I2i4c3dB", s)
return {#s, a, b, c, tostring(d), e, nexti, struct.size(">I2i4c3dB"),
    struct.pack("<s", "zero"), pcall(struct.unpack, "i8", "short")}
