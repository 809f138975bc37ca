#!lua flags=allow-oom,allow-stale,no-cluster
return redis.call("INCRBY", KEYS[1] .. ":n", ARGV[2])
