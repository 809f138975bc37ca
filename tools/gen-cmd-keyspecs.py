#!/usr/bin/env python3
"""gen-cmd-keyspecs.py - write daemon/cmd_keyspecs.def from a running Redis 7.0's
COMMAND INFO. The file holds two tables:
  - for every row of daemon/commands.def, and for the subcommands omenkv implements
    (SUBCOMMANDS below), Redis' flags, ACL categories, tips and key specifications
    (daemon/cmd_keyspecs.c includes this part);
  - under OMK_KEYSPECS_ACL, the ACL's view of every command and subcommand Redis has,
    implemented or not, sorted by name: its categories, and what its first and its other
    keys need (ACCESS reads; INSERT, DELETE, UPDATE write; the first key takes the first
    key specification's flags, the others the last one's) (daemon/acl_cats.c).
Run once per Redis release we follow:

    tools/gen-cmd-keyspecs.py /path/to/redis.sock > daemon/cmd_keyspecs.def
"""
import re
import socket
import sys

# Subcommands omenkv implements, per container (Redis 7.0 names only).
SUBCOMMANDS = {
    "client": ("id getname setname list info kill unblock no-evict reply pause unpause help "
               "tracking caching getredir trackinginfo").split(),
    "command": "count list info docs getkeys getkeysandflags help".split(),
    "config": "get set resetstat rewrite help".split(),
    "object": "encoding freq idletime refcount help".split(),
    "slowlog": "get len reset help".split(),
    "acl": "setuser getuser deluser list users whoami cat log genpass dryrun load save help".split(),
    "latency": "latest history reset histogram doctor graph help".split(),
    "memory": "usage stats doctor malloc-stats purge help".split(),
    "pubsub": "channels numsub numpat shardchannels shardnumsub help".split(),
    "script": "load exists flush kill help".split(),
    "function": "load delete flush list dump restore stats kill help".split(),
}


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.buf = b""

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill(len(self.buf) + 1)
        i = self.buf.index(b"\r\n")
        line, self.buf = self.buf[:i], self.buf[i + 2:]
        return line

    def read(self):
        line = self._line()
        t, v = chr(line[0]), line[1:]
        if t in "+-":
            return v.decode()
        if t == ":":
            return int(v)
        if t in "$=":
            n = int(v)
            if n < 0:
                return None
            self._fill(n + 2)
            d, self.buf = self.buf[:n], self.buf[n + 2:]
            return d.decode()[4:] if t == "=" else d.decode()
        if t in "*~":
            return [self.read() for _ in range(int(v))]
        if t == "%":
            return dict((self.read(), self.read()) for _ in range(int(v)))
        if t == "_":
            return None
        raise ValueError(line)

    def cmd(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self.read()


def cstr(s):
    if s is None:
        return "NULL"
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def spec_c(ks):
    bs, fk = ks["begin_search"], ks["find_keys"]
    if bs["type"] == "index":
        begin = "CMD_KS_BEGIN_INDEX, %d, NULL" % bs["spec"]["index"]
    elif bs["type"] == "keyword":
        begin = "CMD_KS_BEGIN_KEYWORD, %d, %s" % (bs["spec"]["startfrom"],
                                                  cstr(bs["spec"]["keyword"]))
    else:
        begin = "CMD_KS_BEGIN_UNKNOWN, 0, NULL"
    if fk["type"] == "range":
        sp = fk["spec"]
        find = "CMD_KS_FIND_RANGE, %d, %d, %d" % (sp["lastkey"], sp["keystep"], sp["limit"])
    elif fk["type"] == "keynum":
        sp = fk["spec"]
        find = "CMD_KS_FIND_KEYNUM, %d, %d, %d" % (sp["keynumidx"], sp["firstkey"],
                                                   sp["keystep"])
    else:
        find = "CMD_KS_FIND_UNKNOWN, 0, 0, 0"
    return "{%s, %s, %s, %s}" % (cstr(ks.get("notes")), cstr(" ".join(ks["flags"])), begin,
                                 find)


def row_c(e):
    name, arity, flags, first, last, step, acl, tips, specs = e[:9]
    out = "    {%s, %d, %d, %d, %d, %s, %s, %s, %d, " % (
        cstr(name), arity, first, last, step, cstr(" ".join(flags)), cstr(" ".join(acl)),
        cstr(" ".join(tips)), len(specs))
    if specs:
        out += "(const struct cmd_keyspec[]){\n"
        out += "".join("        %s,\n" % spec_c(ks) for ks in specs)
        out += "    }},\n"
    else:
        out += "NULL},\n"
    return out


def key_need(ks):
    flags = ks["flags"]
    need = []
    if "access" in flags:
        need.append("R")
    if "insert" in flags or "delete" in flags or "update" in flags:
        need.append("W")
    return "".join(need) or "0"


def acl_row_c(e):
    name, acl, specs = e[0], e[6], e[8]
    first = key_need(specs[0]) if specs else "0"
    rest = key_need(specs[-1]) if specs else "0"
    cats = "|".join("K(%s)" % c.lstrip("@").upper() for c in acl) or "0"
    return "    {%s, %s, %s, %s},\n" % (cstr(name), first, rest, cats)


def acl_rows(conn):
    rows = []
    for e in conn.cmd("COMMAND"):
        rows.append(e)
        rows.extend(e[9])
    return sorted(rows, key=lambda e: e[0].encode())


def main():
    conn = Conn(sys.argv[1])
    conn.cmd("HELLO", "3")
    version = conn.cmd("INFO", "server")
    version = re.search(r"redis_version:(\S+)", version).group(1)
    names = re.findall(r'^OMK_CMD\("([^"]+)"', open("daemon/commands.def").read(), re.M)
    rows = []
    for name in names:
        (e,) = conn.cmd("COMMAND", "INFO", name)
        if e is None:
            sys.exit("Redis has no command %s" % name)
        rows.append(e)
        subs = SUBCOMMANDS.get(name, [])
        for sub in e[9]:  # Redis' order
            if sub[0].split("|")[1] in subs:
                rows.append(sub)
    for container in SUBCOMMANDS:
        if container not in names:
            (e,) = conn.cmd("COMMAND", "INFO", container)
            rows.append(e)
            for sub in e[9]:
                if sub[0].split("|")[1] in SUBCOMMANDS[container]:
                    rows.append(sub)
    print("/* cmd_keyspecs.def - generated by tools/gen-cmd-keyspecs.py from Redis %s's"
          % version)
    print(" * COMMAND INFO: do not edit by hand; rerun the script. Included by cmd_keyspecs.c")
    print(" * and acl_cats.c. One row per command and per subcommand omenkv implements, a container's")
    print(" * subcommands right after it in Redis' order. Columns: name, arity, first, last,")
    print(" * step, Redis' flags, ACL categories, tips, key specs.")
    print(" * Under OMK_KEYSPECS_ACL instead: every command and subcommand of Redis, sorted")
    print(" * by name: name, what the first key needs, what the others need, ACL categories.")
    print(" */")
    print("#ifndef OMK_KEYSPECS_ACL")
    for e in rows:
        sys.stdout.write(row_c(e))
    print("#else")
    for e in acl_rows(conn):
        sys.stdout.write(acl_row_c(e))
    print("#endif")


main()
