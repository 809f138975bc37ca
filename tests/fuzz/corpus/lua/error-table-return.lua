if ARGV[1] == "token" then
    return {err = "WRONGTYPE a custom error"}
end
return {ok = "CUSTOM status"}
