# The libraries a benchmark program linked against build/<mode>/core/libheapscope.a
# needs (the SConstruct's Configure list); sourced by the bench scripts.
LIBS="-lluajit-5.1 -larchive -ljson-c -lmsgpackc -lreadline -lxxhash -lz -ldw -lelf -lm -lpthread -ldl"
