#!/bin/sh
# mkimg.sh IMG KIND BS [SIZE] -- build a test image with tests/lib.sh's
# mk_image (for C unit tests, which cannot source lib.sh).  FRAG_BLOCKS
# sets /frag's fragment count as for mk_image; DEEP_FRAG=N adds /deep, a
# file of N one-block fragments (mk_frag_file).
[ $# -ge 3 ] || { echo "usage: mkimg.sh IMG KIND BS [SIZE]" >&2; exit 2; }
. "$(dirname "$0")/lib.sh"
mk_image "$@" || exit 1
[ -z "${DEEP_FRAG:-}" ] || mk_frag_file "$1" /deep "$DEEP_FRAG" || exit 1
