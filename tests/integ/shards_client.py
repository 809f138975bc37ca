#!/usr/bin/python3
"""shards_client.py - redis-py (Debian python3-redis) through nutcracker, for
tests/integ/test_shards.sh. Run with /usr/bin/python3: a pyenv python3 earlier on PATH
may not have the module.

  shards_client.py check HOST PORT
      Strings, MSET/MGET, a non-transactional pipeline, a hash, a set, a list and a
      sorted set through the proxy; one line per check, "PASS what" or "FAIL what: why".
  shards_client.py write HOST PORT ACKED FAILED STOP
      SET w:<i> to "val-<i>" for i = 0, 1, ... one at a time until the file STOP exists
      (60 s at most). A key whose SET was acknowledged with OK goes on a line of ACKED,
      a key whose SET got an error on a line of FAILED, each flushed at once, so that
      the test can read them while this runs and knows which writes it may count on.
"""
import os
import sys
import time

import redis


def check(host, port):
    """Run each check against the proxy; print one PASS or FAIL line per check."""
    r = redis.Redis(host=host, port=port, socket_timeout=10, decode_responses=True)
    results = []

    def expect(what, got, want):
        if got == want:
            results.append("PASS " + what)
        else:
            results.append("FAIL %s: got %r, expected %r" % (what, got, want))

    expect("redis-py SET and GET", (r.set("py:str", "hello"), r.get("py:str")),
           (True, "hello"))

    keys = ["py:m:%d" % i for i in range(200)]
    r.mset({k: "mv-" + k for k in keys})
    expect("redis-py MSET then MGET of 200 keys (spread over the shards)",
           r.mget(keys + ["py:missing"]), ["mv-" + k for k in keys] + [None])

    pipe = r.pipeline(transaction=False)
    for i in range(500):
        pipe.set("py:p:%d" % i, str(i * 7))
    for i in range(500):
        pipe.get("py:p:%d" % i)
    replies = pipe.execute()
    expect("redis-py pipeline (transaction=False) of 500 SETs and 500 GETs",
           replies, [True] * 500 + [str(i * 7) for i in range(500)])

    r.delete("py:h", "py:s", "py:l", "py:z")
    r.hset("py:h", mapping={"f1": "a", "f2": "b"})
    expect("redis-py HSET mapping, HINCRBY, HGETALL",
           (r.hincrby("py:h", "n", 5), r.hgetall("py:h")),
           (5, {"f1": "a", "f2": "b", "n": "5"}))
    expect("redis-py SADD, SISMEMBER, SMEMBERS",
           (r.sadd("py:s", "x", "y", "z", "x"), r.sismember("py:s", "y"),
            sorted(r.smembers("py:s"))),
           (3, True, ["x", "y", "z"]))
    expect("redis-py RPUSH, LPOP, LRANGE",
           (r.rpush("py:l", "1", "2", "3"), r.lpop("py:l"), r.lrange("py:l", 0, -1)),
           (3, "1", ["2", "3"]))
    expect("redis-py ZADD, ZINCRBY, ZRANGE WITHSCORES",
           (r.zadd("py:z", {"a": 1, "b": 2}), r.zincrby("py:z", 5, "a"),
            r.zrange("py:z", 0, -1, withscores=True)),
           (2, 6.0, [("b", 2.0), ("a", 6.0)]))
    expect("redis-py DEL of keys on several shards",
           r.delete("py:str", "py:h", "py:s", "py:nokey"), 3)

    for line in results:
        print(line)
    return 0 if all(line.startswith("PASS") for line in results) else 1


def write(host, port, acked_path, failed_path, stop_path):
    """SET w:<i> one by one until STOP exists; log each acknowledged and failed key."""
    r = redis.Redis(host=host, port=port, socket_timeout=5, decode_responses=True)
    deadline = time.monotonic() + 60
    i = 0
    with open(acked_path, "w") as acked, open(failed_path, "w") as failed:
        while not os.path.exists(stop_path) and time.monotonic() < deadline:
            key = "w:%d" % i
            try:
                ok = r.set(key, "val-%d" % i)
            except redis.RedisError:
                ok = False
            out = acked if ok is True else failed
            out.write(key + "\n")
            out.flush()
            if ok is not True:
                time.sleep(0.005)  # the shard is down: do not spin
            i += 1
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "check":
        return check(argv[2], int(argv[3]))
    if len(argv) == 7 and argv[1] == "write":
        return write(argv[2], int(argv[3]), argv[4], argv[5], argv[6])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
