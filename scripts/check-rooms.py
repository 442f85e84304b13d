#!/usr/bin/env python3
"""Checks the layout of the sources (ARCHITECTURE.md, DESIGN.md "Layout").

1. The rooms (each runner/ subfolder, gates/, reporters/) include one another
   in one direction only: the graph of their #include lines has no cycle,
   runner/core/ includes nothing of ours outside itself, and nothing but
   runner/app/ includes runner/app/.
2. Only runner/sys/ calls the operating system for processes, signals, plugins
   and the clock: fork, exec, spawn, wait, kill, sigaction and the like,
   dlopen, clock_gettime and std::chrono clocks' now().

Usage: check-rooms.py [includes|calls]: both checks, or only the one named.
Prints every breach with file:line and exits 1 if there is one; exits 0
otherwise. Run by CTest (the layout.* tests) and so by CI.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_DIRS = ["runner", "gates", "reporters"]

# A call of one of these, outside runner/sys/, is a breach.
POSIX_CALLS = re.compile(
    r"(?<![\w.>:])(?:::)?("
    r"fork|vfork|execve|execvp|execvpe|execv|execl|execlp|posix_spawnp?|"
    r"waitpid|wait4|waitid|kill|killpg|setsid|setpgid|"
    r"sigaction|signal|sigprocmask|pthread_sigmask|raise|sigemptyset|sigaddset|sigfillset|"
    r"sigwait|sigtimedwait|signalfd|pidfd_open|pidfd_send_signal|prctl|"
    r"dlopen|dlsym|dlclose|clock_gettime|gettimeofday|time"
    r")\s*\(")
CLOCK_NOW = re.compile(r"\b(steady_clock|system_clock|high_resolution_clock)::now\s*\(")
BOOST_PROCESS = re.compile(r"\bboost::process\b|<boost/process")


def room_of(path):
    """The room of a source path relative to ROOT, or None if not ours."""
    parts = path.split("/")
    if parts[0] in ("gates", "reporters"):
        return parts[0]
    if parts[0] == "runner":
        if len(parts) < 3:
            return "runner"  # a file left at the top of runner/ is a breach itself
        return "runner/" + parts[1]
    return None


def strip_comments_and_strings(text):
    """Blanks comments and string/char literals, keeping line breaks."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == 'R' and text.startswith('R"', i):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i)
            end = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def sources():
    for top in SOURCE_DIRS:
        for folder, _, names in os.walk(os.path.join(ROOT, top)):
            for name in sorted(names):
                if name.endswith((".cpp", ".hpp", ".hpp.in")):
                    path = os.path.relpath(os.path.join(folder, name), ROOT)
                    yield path.replace(os.sep, "/")


def find_cycle(edges):
    """A cycle of the room graph as a list of rooms, or None."""
    state = {}
    stack = []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, {})):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which not in ("all", "includes", "calls"):
        print("usage: check-rooms.py [includes|calls]")
        return 2
    breaches = []
    edges = {}  # room -> included room -> first "file:line" that does it
    for path in sources():
        room = room_of(path)
        if room == "runner":
            breaches.append(f"{path}: lies at the top of runner/, outside every room")
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            text = f.read()
        for number, line in enumerate(text.splitlines(), 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            target = room_of(m.group(1))
            if target is None or target == room:
                continue
            edges.setdefault(room, {}).setdefault(target, f"{path}:{number}")
            if which == "calls":
                continue
            if room == "runner/core":
                breaches.append(f"{path}:{number}: runner/core/ includes {m.group(1)}: "
                                "core depends on nothing of ours")
            if target == "runner/app":
                breaches.append(f"{path}:{number}: {room} includes {m.group(1)}: "
                                "only runner/app/ uses runner/app/")
        if room == "runner/sys" or which == "includes":
            continue
        code = strip_comments_and_strings(text)
        for number, line in enumerate(code.splitlines(), 1):
            if line.lstrip().startswith("#") and "include" not in line:
                continue
            for pattern, what in ((POSIX_CALLS, "calls {}()"), (CLOCK_NOW, "reads {}"),
                                  (BOOST_PROCESS, "uses Boost.Process")):
                for m in pattern.finditer(line):
                    name = m.group(1) if m.groups() else ""
                    breaches.append(f"{path}:{number}: {what.format(name)} outside runner/sys/")
    cycle = find_cycle(edges) if which != "calls" else None
    if cycle:
        hops = [f"{a} -> {b} ({edges[a][b]})" for a, b in zip(cycle, cycle[1:])]
        breaches.append("the rooms include one another in a cycle: " + "; ".join(hops))
    for breach in breaches:
        print(breach)
    if breaches:
        print(f"{len(breaches)} breach(es) of the layout (scripts/check-rooms.py)")
        return 1
    rooms = sorted(set(edges) | {t for targets in edges.values() for t in targets})
    print(f"rooms: {len(rooms)}, dependencies: {sum(len(t) for t in edges.values())}, no cycle")
    for room in rooms:
        print(f"  {room} -> {', '.join(sorted(edges.get(room, {}))) or '(nothing)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
