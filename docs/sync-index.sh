#!/bin/sh
# sync-index SRC DEST: copy a kb index root to a server (DEST may be host:path, as rsync
# takes it) in an order the server's readers never notice, holding the writer's lock so no
# `kb index` changes the files while they are copied. docs/deployment.md explains the order.
set -eu
if [ $# -ne 2 ]; then
    echo "usage: $0 SRC DEST   (SRC: the index root kb index writes; DEST: a server's copy)" >&2
    exit 2
fi
src=${1%/}/ dest=${2%/}/
if [ ! -e "${src}write.lock" ]; then
    echo "$0: ${src} is not a kb index root (no write.lock); run kb index first" >&2
    exit 1
fi
exec 9<"${src}write.lock"
flock 9
copy() {
    rsync -a --exclude=write.lock --exclude='*WRITELOCK' --exclude='*-journal' --exclude='.*.tmp' \
        "$@" "$src" "$dest"
}
copy --exclude=CURRENT --exclude='_*.toc'   # 1. segments, new generations, vectors
copy --exclude=CURRENT                      # 2. tables of contents
copy                                        # 3. the pointer
copy --delete                               # 4. what the writer removed
