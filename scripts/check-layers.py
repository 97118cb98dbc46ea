#!/usr/bin/python3
"""check-layers.py [--root DIR] - check the include structure of server/.

server/ is in layers, each a folder that may include only the folders
below it (and its own files); see README "How the code is laid out":

    util < storage < storage/<backend> < domain < jobs < api < http < top

(top: main.c, app.c and the other files directly in server/; the storage
backends, e.g. storage/sqlite and storage/pg, sit above the interface in
storage/ and never include one another). Reads every #include "..." of the
.c and .h files under server/ and core/ and fails (exit 1), one line per
finding, on:
  - an include that runs upward or sideways between layers,
  - a folder under server/ that is not in the layer list,
  - an include cycle between files, or between folders,
  - sqlite3.h outside server/storage/sqlite/ (libpq-fe.h outside
    server/storage/pg/), microhttpd.h outside server/http/,
  - a core/ file that includes a server/ header,
  - a server/ include not written with its folder ("api/reply.h", not
    "reply.h").
"""
import os
import re
import sys

LAYERS = ["util", "storage", "storage/*", "domain", "jobs", "api", "http", "top"]
RANK = {name: i for i, name in enumerate(LAYERS)}
# System headers each owned by one folder (and the folders inside it).
# (a backend's library only in that backend: the resource files in
# storage/ itself are backend-neutral)
OWNED = {"sqlite3.h": "storage/sqlite", "libpq-fe.h": "storage/pg", "microhttpd.h": "http"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def folder_of(rel):
    """'server/storage/sqlite/x.c' -> 'storage/sqlite'; 'server/main.c' -> 'top'."""
    parts = rel.split("/")[1:-1]
    return "/".join(parts) if parts else "top"


def layer_of(folder):
    """The layer name of a folder, or None when it is not in the list."""
    if folder in RANK:
        return folder
    if folder.startswith("storage/") and folder.count("/") == 1:
        return "storage/*"
    return None


def sources(root, top):
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
        dirnames[:] = sorted(d for d in dirnames if d != "web")
        for f in sorted(filenames):
            if f.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(dirpath, f), root)


def includes(root, rel):
    """(line number, '<' or '"', name) of each include of a file."""
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            m = INCLUDE.match(line)
            if m:
                yield n, m.group(1), m.group(2)


def resolve(root, rel, name):
    """The repository path a quoted include names, or None (not ours)."""
    here = os.path.dirname(rel)
    for base in (here, "server", "core", "."):
        cand = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def find_cycle(graph):
    """One cycle of a directed graph (a list of nodes), or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {v: WHITE for v in graph}
    stack = []

    def visit(v):
        color[v] = GREY
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if color.get(w, WHITE) == GREY:
                return stack[stack.index(w):] + [w]
            if color.get(w, WHITE) == WHITE:
                found = visit(w)
                if found:
                    return found
        stack.pop()
        color[v] = BLACK
        return None

    for v in sorted(graph):
        if color[v] == WHITE:
            found = visit(v)
            if found:
                return found
    return None


def check(root):
    problems = []
    file_graph = {}
    folder_graph = {}
    n_files = n_includes = 0
    for rel in list(sources(root, "server")) + list(sources(root, "core")):
        n_files += 1
        in_server = rel.startswith("server/")
        src_folder = folder_of(rel) if in_server else None
        src_layer = layer_of(src_folder) if in_server else None
        if in_server and src_layer is None:
            problems.append(f"{rel}: folder server/{src_folder} is not a layer "
                            f"(add it to LAYERS in scripts/check-layers.py)")
        file_graph.setdefault(rel, set())
        for line, kind, name in includes(root, rel):
            n_includes += 1
            where = f"{rel}:{line}"
            base = os.path.basename(name)
            if base in OWNED and in_server:
                owner = OWNED[base]
                if src_folder != owner and not src_folder.startswith(owner + "/"):
                    problems.append(f"{where}: {name} is included outside server/{owner}/")
            if kind == "<":
                continue
            target = resolve(root, rel, name)
            if target is None or not target.startswith(("server/", "core/")):
                continue
            file_graph[rel].add(target)
            if not in_server:
                if target.startswith("server/"):
                    problems.append(f"{where}: core/ includes the server header {target}")
                continue
            if target.startswith("core/"):
                continue  # the library is below every layer
            if os.path.normpath(os.path.join("server", name)) != target:
                problems.append(f"{where}: write the include with its folder: "
                                f"\"{os.path.relpath(target, 'server')}\"")
            dst_folder = folder_of(target)
            if dst_folder == src_folder:
                continue
            folder_graph.setdefault(src_folder, set()).add(dst_folder)
            dst_layer = layer_of(dst_folder)
            if dst_layer is None or src_layer is None:
                continue  # reported as an unknown folder
            if RANK[dst_layer] > RANK[src_layer]:
                problems.append(f"{where}: includes {target}: upward "
                                f"({src_folder} may not include {dst_folder})")
            elif RANK[dst_layer] == RANK[src_layer]:
                problems.append(f"{where}: includes {target}: sideways "
                                f"({src_folder} and {dst_folder} are one layer)")
    cycle = find_cycle(file_graph)
    if cycle:
        problems.append("include cycle between files: " + " -> ".join(cycle))
    for v in list(folder_graph):
        folder_graph.setdefault(v, set())
        for w in folder_graph[v]:
            folder_graph.setdefault(w, set())
    cycle = find_cycle(folder_graph)
    if cycle:
        problems.append("include cycle between folders: " + " -> ".join(cycle))
    return problems, n_files, n_includes


def main(argv):
    root = "."
    if len(argv) == 3 and argv[1] == "--root":
        root = argv[2]
    elif len(argv) != 1:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    if not os.path.isdir(os.path.join(root, "server")):
        print(f"check-layers: no server/ under {root}", file=sys.stderr)
        return 2
    problems, n_files, n_includes = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} problem(s) in {n_files} files")
        return 1
    print(f"check-layers: {n_files} files, {n_includes} includes: layers "
          f"{' < '.join(LAYERS)}, no upward include, no cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
