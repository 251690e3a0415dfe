# What a benchmark program linked against build/<mode>/core/libheapscope.a
# needs: the build (B, default build/release), the binary (HS, $HEAPSCOPE
# when set) and the libraries (the SConstruct's Configure list).  Sourced by
# the bench scripts; a value a script set before sourcing it is kept.
B=${B:-build/release}
HS=${HS:-${HEAPSCOPE:-$B/heapscope}}
LIBS="-lluajit-5.1 -larchive -ljson-c -lmsgpackc -lreadline -lxxhash -lz -ldw -lelf -lm -lpthread -ldl"
