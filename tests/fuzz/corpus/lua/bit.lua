local x = tonumber(ARGV[3])
return {bit.band(x, 0xff), bit.bor(x, 1), bit.bxor(x, 0x5555), bit.lshift(1, 31),
    bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(x, 7), bit.ror(x, 7),
    bit.tohex(x), bit.tohex(-1, -8), bit.tobit(2^40 + 3), bit.bnot(0), bit.bswap(x)}
