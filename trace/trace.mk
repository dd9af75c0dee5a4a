# trace/trace.mk - the heaptrace program, assembled from the subcommand files
# that trace/capture.mk and trace/analysis.mk list in HEAPTRACE_SRCS.
$(eval $(call host_program,heaptrace,trace/heaptrace.c $(sort $(HEAPTRACE_SRCS)),$(CJSON_LIBS)))
