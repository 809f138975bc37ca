#!/usr/bin/env python3
"""difffuzz-min.py - shortest repros of the differences an omenkv-difffuzz run found.

    omenkv-difffuzz --a HOST:PORT --b HOST:PORT ... --max-diffs 30 --resp-log run.resp
    clients/difffuzz-min.py run.resp --a HOST:PORT --b HOST:PORT [--max 10]

The fuzzer's --resp-log holds every command it sent to server A's stream connection, as
RESP; after each difference it sent FLUSHALL, so the log splits into independent segments
there. For each segment, this replays it on both servers (each from FLUSHALL, HELLO 2,
SELECT 0), finds the first command whose replies differ, then drops the commands before
it that are not needed for the difference to stay (delta debugging: halves, then
quarters, ... then single commands). Repros with the same command names are shown once.
Replies that the fuzzer does not compare byte for byte (HELLO, SCAN, KEYS, TTL and
friends) are never taken for a difference. Blocking pops, random replies (SPOP,
SRANDMEMBER...) and RESP3 runs are beyond it: use it on runs of the other families with
--proto 2. Both servers are FLUSHALLed, over and over: never point it at data you keep.
"""
import argparse
import socket
import sys

NOT_EXACT = {b"HELLO", b"DEBUG", b"SCAN", b"KEYS", b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME",
             b"HKEYS", b"HVALS", b"HGETALL", b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF",
             b"SPOP", b"SRANDMEMBER", b"HRANDFIELD", b"ZRANDMEMBER", b"HSCAN", b"SSCAN",
             b"ZSCAN"}


def parse(buf):
    """The commands of a RESP log, as lists of bytes."""
    cmds, i = [], 0
    while i < len(buf):
        if buf[i:i + 1] != b"*":
            sys.exit(f"difffuzz-min: not a RESP command at byte {i}")
        j = buf.index(b"\r\n", i)
        n, i, args = int(buf[i + 1:j]), j + 2, []
        for _ in range(n):
            j = buf.index(b"\r\n", i)
            ln, i = int(buf[i + 1:j]), j + 2
            args.append(buf[i:i + ln])
            i += ln + 2
        cmds.append(args)
    return cmds


def encode(args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


class Conn:
    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        self.f = self.sock.makefile("rb")

    def reply(self):
        line = self.f.readline()
        t = line[:1]
        if t in b"+-:_,#(":
            return line
        n = int(line[1:-2])
        if t in b"$=!":
            return line if n < 0 else line + self.f.read(n + 2)
        if t in b"*~>%|":
            n = n * 2 if t in b"%|" else n
            return line + b"".join(self.reply() for _ in range(max(n, 0)))
        raise RuntimeError(f"unexpected reply {line[:40]!r}")

    def run(self, cmds):
        self.sock.sendall(b"".join(encode(c) for c in cmds))
        return [self.reply() for _ in cmds]

    def close(self):
        self.sock.close()


def replies(addr, cmds):
    """Every reply to 'cmds' on a fresh 'addr'."""
    c = Conn(addr)
    out = c.run([[b"FLUSHALL"], [b"HELLO", b"2"], [b"SELECT", b"0"]] + cmds)[3:]
    c.close()
    return out


def show(arg):
    if arg and len(arg) <= 80 and all(33 <= ch < 127 and ch != 0x22 for ch in arg):
        return arg.decode()
    q = repr(arg if len(arg) <= 200 else arg[:60])[1:]
    return q if len(arg) <= 200 else f"{q}...({len(arg)} bytes)"


def minimize(a, b, pre, target):
    def differs(sub):
        return replies(a, sub + [target])[-1] != replies(b, sub + [target])[-1]

    if not differs(pre):
        return None
    n = 2
    while pre:
        chunk, reduced = max(1, len(pre) // n), False
        for i in range(0, len(pre), chunk):
            cand = pre[:i] + pre[i + chunk:]
            if differs(cand):
                pre, n, reduced = cand, max(n - 1, 2), True
                break
        if not reduced:
            if chunk == 1:
                break
            n = min(len(pre), n * 2)
    return pre


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log", help="the fuzzer's --resp-log file")
    ap.add_argument("--a", required=True, help="HOST:PORT of the server under test")
    ap.add_argument("--b", required=True, help="HOST:PORT of the reference")
    ap.add_argument("--max", type=int, default=10, help="repros to print at most")
    o = ap.parse_args()
    segs, cur = [], []
    for c in parse(open(o.log, "rb").read()):
        if c[0].upper() == b"FLUSHALL":
            if cur:
                segs.append(cur)
            cur = []
        else:
            cur.append(c)
    if cur:
        segs.append(cur)
    seen, found = set(), 0
    for seg in segs:
        ra, rb = replies(o.a, seg), replies(o.b, seg)
        k = next((i for i, (x, y) in enumerate(zip(ra, rb))
                  if x != y and seg[i][0].upper() not in NOT_EXACT), None)
        if k is None:
            continue
        pre = minimize(o.a, o.b, seg[:k], seg[k])
        if pre is None:  # the difference needs something the replay does not redo
            continue
        names = tuple(c[0].upper() for c in pre + [seg[k]])
        if names in seen:
            continue
        seen.add(names)
        found += 1
        print(f"---- repro {found} ({len(pre) + 1} commands)")
        for c in pre + [seg[k]]:
            print("  " + " ".join(show(x) for x in c))
        print(f"  a: {replies(o.a, pre + [seg[k]])[-1][:300]!r}")
        print(f"  b: {replies(o.b, pre + [seg[k]])[-1][:300]!r}")
        if found >= o.max:
            break
    print(f"difffuzz-min: {found} repro(s) from {len(segs)} segment(s)")


if __name__ == "__main__":
    main()
